#!/bin/bash
# 80-vacation.sh - vacation autoreplies end to end on the real stack
# (DESIGN section 5, issue 5, docs/vacation.md).
#
# Creates two hosted domains of its own (the account's, with an alias
# domain, and the senders'), sets vacations in SQL (the triggers of
# sql/040_vacation.sql file the vacation.sync jobs), runs the jobs with
# casier-vacation-sync (or lets casier-deliverd's loop run them), sends
# mail with swaks to Postfix's inbound smtpd and reads the replies from
# the sender's mailbox over IMAPS with curl.  Pigeonhole's decision for
# each message is also read from Dovecot's log (by Message-ID), so a "no
# reply" check names the rule that held.  The stack runs with
# [vacation] seconds_per_day = 1, so "interval_days = N" means N seconds.
#
# Needs root (casier-vacation-sync drops to vmail; reads Dovecot's log),
# run/stack.env in the environment.  Prints PASS:/FAIL: lines.

set -u
: "${CASIER_PGHOST:?source run/stack.env}" "${CASIER_SMTP_PORT:?}" "${CASIER_IMAPS_PORT:?}"
: "${CASIER_LOG_DIR:?}" "${CASIER_CONFIG:?}" "${CASIER_MAIL_ROOT:?}" "${CASIER_TLS_CA:?}"
: "${DOVECOT_CONF:?}" "${POSTFIX_DIR:?}"

src=$(cd "$(dirname "$0")/../.." && pwd)
failures=0
pass() { echo "PASS: vacation: $1"; }
fail() {
	echo "FAIL: vacation: $1: $2"
	failures=$((failures + 1))
}

# The interval checks need a stack started in test mode (tools/test does it).
if ! grep -Eq '^seconds_per_day *= *1$' "$CASIER_CONFIG"; then
	fail setup "the stack counts vacation days in days; start it with CASIER_VACATION_SECONDS_PER_DAY=1 (tools/test does)"
	exit 1
fi

sync_bin=
for f in "${CASIER_BUILD_DIR:-$src/build}/casier-vacation-sync" \
	"${CASIER_BIN_DIR:-/nonexistent}/casier-vacation-sync"; do
	[ -x "$f" ] && {
		sync_bin=$f
		break
	}
done
if [ -z "$sync_bin" ]; then
	fail setup "casier-vacation-sync is not built"
	exit 1
fi

q() { psql -X -q -tA -v ON_ERROR_STOP=1 -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d casier "$@"; }
id=$(($$ % 100000))
dom=vh$id.example.be      # the account's domain
adom=vh$id.example.com    # its alias domain
sdom=vs$id.example.be     # the senders' domain (hosted: replies land there)
pw='Tr4vel-Blue-92'
hash=$(doveadm pw -s ARGON2ID -p "$pw") || {
	fail setup "doveadm pw failed"
	exit 1
}
dovelog=$CASIER_LOG_DIR/dovecot.log

cleanup() {
	q -c "DELETE FROM domain WHERE name IN ('$dom', '$sdom')" >/dev/null 2>&1
	rm -rf "${CASIER_MAIL_ROOT:?}/$dom" "${CASIER_MAIL_ROOT:?}/$sdom"
}
trap cleanup EXIT

if ! q >/dev/null <<EOF; then
INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes)
	VALUES ('$dom', 'vh$id', 10, 104857600), ('$sdom', 'vs$id', 10, 104857600);
INSERT INTO alias_domain (name, domain_id) SELECT '$adom', id FROM domain WHERE name = '$dom';
SELECT account_create('$dom', 'jean', '$hash', NULL);
SELECT account_create('$sdom', 'sender', '$hash', NULL);
INSERT INTO alias (domain_id, local_part, targets)
	SELECT id, 'info', '{jean@$dom}' FROM domain WHERE name = '$dom';
EOF
	fail setup "cannot create the test domains"
	exit 1
fi
user=$(q -c "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")
suser=$(q -c "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$sdom'")
home=$CASIER_MAIL_ROOT/$dom/$user
script=$home/.casier/vacation.sieve

# Run the pending vacation.sync jobs and wait until none is left for the
# account (casier-deliverd's loop may hold one).
vsync() {
	"$sync_bin" -c "$CASIER_CONFIG" --pending >/dev/null 2>>"$CASIER_LOG_DIR/vacation-test.log"
	for _ in $(seq 1 100); do
		[ "$(q -c "SELECT count(*) FROM mail_job WHERE kind = 'vacation.sync' AND username = '$user' AND done_at IS NULL")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# set_vacation SUBJECT BODY START END INTERVAL: upsert the account's vacation.
set_vacation() {
	q -v subj="$1" -v body="$2" -v st="$3" -v en="$4" -v iv="$5" -v u="$user" >/dev/null <<'EOF'
INSERT INTO vacation (account_id, subject, body, start_date, end_date, interval_days)
	SELECT id, :'subj', :'body', nullif(:'st', '')::date, nullif(:'en', '')::date, :'iv'::integer
	FROM account WHERE username = :'u'
ON CONFLICT (account_id) DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body,
	start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
	interval_days = EXCLUDED.interval_days, active = true, updated_at = now();
EOF
}

n=0
# send ENVELOPE_FROM ENVELOPE_TO [swaks args...]: sends one message with a
# fresh Message-ID, stored in $mid.  Returns swaks' status.
send() {
	local from=$1 to=$2
	shift 2
	n=$((n + 1))
	mid="vac$id.$n.$(date +%s%N)@$sdom"
	swaks --server "127.0.0.1:$CASIER_SMTP_PORT" --silent 2 --from "$from" --to "$to" \
		--header "Message-Id: <$mid>" --h-Subject "vacation test $n" \
		--body "test message $n" "$@" >/dev/null 2>&1
}

# decision: wait (up to 15 s) until Dovecot stored $mid, then print every
# Sieve log line about it.
decision() {
	for _ in $(seq 1 150); do
		grep -F "msgid=<$mid>: stored mail into mailbox" "$dovelog" >/dev/null 2>&1 && break
		sleep 0.1
	done
	grep -F "msgid=<$mid>" "$dovelog" 2>/dev/null
}

imap() { # imap PATH [curl args]: one IMAPS request as the sender
	curl -s --max-time 20 --cacert "$CASIER_TLS_CA" -u "$suser:$pw" \
		"imaps://127.0.0.1:$CASIER_IMAPS_PORT/$1" "${@:2}"
}

# replies_to MID [WAIT]: UIDs of messages in the sender's INBOX answering
# MID (In-Reply-To), after waiting up to WAIT seconds (default 15) for one.
replies_to() {
	local m=$1 wait=${2:-15} uids
	for _ in $(seq 1 $((wait * 5))); do
		uids=$(imap INBOX -X "UID SEARCH HEADER In-Reply-To \"<$m>\"" | tr -d '\r' |
			sed -n 's/^\* SEARCH *//p')
		[ -n "$uids" ] && break
		sleep 0.2
	done
	echo "$uids"
}

# wait until Postfix's queue is empty (a reply, if any, was delivered)
queue_drain() {
	for _ in $(seq 1 100); do
		postqueue -c "$POSTFIX_DIR" -p 2>/dev/null | grep -q "Mail queue is empty" && return 0
		sleep 0.1
	done
}

# expect_no_reply NAME REASON: the last message got no reply, and Dovecot
# logged REASON (a fixed string) for it; REASON "" = no vacation action.
expect_no_reply() {
	local name=$1 reason=$2 log
	log=$(decision)
	queue_drain
	if [ -z "$log" ]; then
		fail "$name" "message $mid was not delivered"
	elif printf '%s' "$log" | grep -q "sent vacation response"; then
		fail "$name" "a reply was sent"
	elif [ -n "$reason" ] && ! printf '%s' "$log" | grep -qF "$reason"; then
		fail "$name" "Dovecot did not log '$reason': $(printf '%s' "$log" | head -n 3)"
	elif [ -n "$(replies_to "$mid" 1)" ]; then
		fail "$name" "a reply reached the sender"
	else
		pass "$name"
	fi
}

# expect_reply NAME: exactly one reply to the last message reached the
# sender over IMAPS; its text is left in $reply.
expect_reply() {
	local name=$1 uids
	reply=
	decision >/dev/null
	uids=$(replies_to "$mid")
	set -- $uids
	if [ $# -ne 1 ]; then
		fail "$name" "expected one reply, got ${#}: $(decision | head -n 3)"
		return 1
	fi
	reply=$(imap "INBOX;UID=$1" | tr -d '\r')
	pass "$name"
}

# --- 1. a basic vacation ---------------------------------------------------------
set_vacation 'Absent' $'I am on vacation.\nBack soon.' '' '' 4
if ! vsync; then
	fail "sync" "the vacation.sync job was not processed"
elif [ -f "$script" ] && [ "$(stat -c %U "$script")" = vmail ] &&
	sievec -c "${DOVECOT_CONF%/*}/sievec.conf" "$script" "/tmp/vac-$$.svbin" >/dev/null 2>&1 &&
	[ -s "/tmp/vac-$$.svbin" ]; then
	pass "script installed, owned by vmail, compiles"
else
	fail "script installed" "missing, not vmail's, or does not compile: $script"
fi
rm -f "/tmp/vac-$$.svbin"

send "sender+a@$sdom" "jean@$dom"
if expect_reply "a mail from outside gets a reply"; then
	hdr=$(printf '%s\n' "$reply" | sed '/^$/q')
	printf '%s\n' "$hdr" | grep -qi '^Return-Path: <>$' &&
		pass "reply has envelope sender <>" || fail "reply envelope" "$(printf '%s\n' "$hdr" | grep -i '^Return-Path')"
	printf '%s\n' "$hdr" | grep -qi "^From: jean@$dom\$" &&
		pass "reply From is the account's address" || fail "reply From" "$(printf '%s\n' "$hdr" | grep -i '^From:')"
	printf '%s\n' "$hdr" | grep -qi '^Auto-Submitted: auto-replied' &&
		pass "reply has Auto-Submitted: auto-replied" || fail "reply Auto-Submitted" "header missing"
	printf '%s\n' "$hdr" | grep -qF "In-Reply-To: <$mid>" &&
		printf '%s\n' "$hdr" | grep -qF "References: <$mid>" &&
		pass "reply has In-Reply-To and References" || fail "reply threading" "In-Reply-To/References missing"
	printf '%s\n' "$hdr" | grep -q '^Subject: Absent$' &&
		pass "reply subject" || fail "reply subject" "$(printf '%s\n' "$hdr" | grep '^Subject')"
	printf '%s\n' "$reply" | grep -q '^I am on vacation\.$' &&
		pass "reply body" || fail "reply body" "text missing"
	# cleanup logs "QID: message-id=<...>", the smtpd that took it "QID: client="
	rmid=$(printf '%s\n' "$hdr" | sed -n 's/^Message-ID: //Ip')
	qid=$(grep -F "message-id=$rmid" "$CASIER_LOG_DIR/postfix.log" | tail -n 1 |
		sed -n 's/.*: \([0-9A-F]*\): message-id=.*/\1/p')
	[ -n "$qid" ] && grep -q "postfix/reinject/smtpd\[[0-9]*\]: $qid: client=" "$CASIER_LOG_DIR/postfix.log" &&
		pass "reply left through Postfix's internal smtpd" ||
		fail "reply path" "the reply ($rmid, queue id '$qid') did not come through the reinject smtpd"
fi
first_sent=$(date +%s)

send "sender+a@$sdom" "jean@$dom"
expect_no_reply "second mail within the interval" "discarded duplicate vacation response"

# interval_days = 4 with seconds_per_day = 1: after 4 s, a reply again
sleep $((first_sent + 5 - $(date +%s) > 0 ? first_sent + 5 - $(date +%s) : 0))
send "sender+a@$sdom" "jean@$dom"
expect_reply "after the interval, a reply again" >/dev/null &&
	pass "after the interval, a reply again"

# --- 2. no reply --------------------------------------------------------------------
send "<>" "jean@$dom" --h-From "someone@$sdom"
expect_no_reply "envelope sender <>" "discarded vacation reply to <>"
for p in bulk list junk; do
	send "sender+p$p@$sdom" "jean@$dom" --header "Precedence: $p"
	expect_no_reply "Precedence: $p" "precedence=$p"
done
send "sender+l@$sdom" "jean@$dom" --header "List-Id: <news.$sdom>"
expect_no_reply "List-Id" "mailinglist"
send "sender+g@$sdom" "jean@$dom" --header "Auto-Submitted: auto-generated"
expect_no_reply "Auto-Submitted: auto-generated" "auto-submitted"
for s in "MAILER-DAEMON@$sdom" "owner-news@$sdom" "news-request@$sdom"; do
	send "$s" "jean@$dom"
	expect_no_reply "sender $s" "system address"
done
send "info@$dom" "jean@$dom" --h-From "info@$dom"
expect_no_reply "sender is one of the account's own addresses" "own address"
send "sender+t@$sdom" "jean@$dom" --h-To "somebody@example.net"
expect_no_reply "none of the account's addresses in To/Cc" "no known (envelope) recipient address"

# --- 3. aliases and alias domains ----------------------------------------------------
send "sender+h@$sdom" "jean@$dom" --h-To "info@$dom"
expect_reply "To holds an alias of the account (:addresses)" >/dev/null &&
	pass "To holds an alias of the account (:addresses)"
if send "sender+i@$sdom" "info@$dom"; then
	expect_reply "mail to an alias of the account" >/dev/null &&
		pass "mail to an alias of the account"
else
	fail "mail to an alias of the account" "the alias was refused at SMTP (is casier-deliverd in the mail path?)"
fi
send "sender+d@$sdom" "jean@$adom"
expect_reply "mail through the alias domain" >/dev/null &&
	pass "mail through the alias domain"

# a new alias refreshes :addresses through the triggers
q -c "INSERT INTO alias (domain_id, local_part, targets) SELECT id, 'sales', '{info@$dom}' FROM domain WHERE name = '$dom'" >/dev/null
if [ "$(q -c "SELECT count(*) FROM mail_job WHERE kind = 'vacation.sync' AND username = '$user' AND done_at IS NULL")" -ge 1 ] ||
	grep -q "sales@$dom" "$script"; then
	pass "an alias change files a vacation.sync job"
else
	fail "alias change" "no vacation.sync job filed"
fi
vsync
grep -qF "\"sales@$adom\"" "$script" && pass "nested alias and its alias-domain variant in :addresses" ||
	fail "alias refresh" "sales@$adom not in the script"
send "sender+s@$sdom" "jean@$dom" --h-To "sales@$adom"
expect_reply "To holds a new nested alias via the alias domain" >/dev/null &&
	pass "To holds a new nested alias via the alias domain"

# a new alias domain refreshes :addresses too
ndom=vn$id.example.com
q -c "INSERT INTO alias_domain (name, domain_id) SELECT '$ndom', id FROM domain WHERE name = '$dom'" >/dev/null
vsync
grep -qF "\"jean@$ndom\"" "$script" && pass "an alias domain change refreshes :addresses" ||
	fail "alias domain refresh" "jean@$ndom not in the script"

# --- 4. dates ----------------------------------------------------------------------------
tomorrow=$(q -c "SELECT to_char(current_date + 1, 'YYYY-MM-DD')")
yesterday=$(q -c "SELECT to_char(current_date - 1, 'YYYY-MM-DD')")
set_vacation 'Absent' 'Away.' "$tomorrow" '' 4 && vsync
[ "$(q -c "SELECT vacation_state(v.active, v.start_date, v.end_date) FROM vacation v JOIN account a ON a.id = v.account_id WHERE a.username = '$user'")" = scheduled ] &&
	pass "state scheduled" || fail "state scheduled" "vacation_state is not 'scheduled'"
send "sender+f@$sdom" "jean@$dom"
expect_no_reply "start date in the future" ""
set_vacation 'Absent' 'Away.' '' "$yesterday" 4 && vsync
[ "$(q -c "SELECT vacation_state(v.active, v.start_date, v.end_date) FROM vacation v JOIN account a ON a.id = v.account_id WHERE a.username = '$user'")" = expired ] &&
	pass "state expired" || fail "state expired" "vacation_state is not 'expired'"
send "sender+e@$sdom" "jean@$dom"
expect_no_reply "end date passed" ""
set_vacation 'Absent' 'Away.' "$yesterday" "$tomorrow" 4 && vsync
send "sender+w@$sdom" "jean@$dom"
expect_reply "inside start and end" >/dev/null && pass "inside start and end"

# --- 5. hostile subject and body --------------------------------------------------------
hsubj='Absent "été" \ C:\temp\ ; } discard; €'
hbody=$'Line with "quotes" and \\backslashes\\\n.\n..\ntext:\n}\n.hidden\nend'
set_vacation "$hsubj" "$hbody" '' '' 4 && vsync
send "sender+x@$sdom" "jean@$dom"
if expect_reply "hostile subject and body: a reply" >/dev/null; then
	got=$(printf '%s\n' "$reply" | python3 -c '
import email, email.header, sys
m = email.message_from_string(sys.stdin.read())
s = str(email.header.make_header(email.header.decode_header(m["Subject"])))
b = m.get_payload(decode=True).decode("utf-8")
sys.stdout.write(s + "\n--\n" + b)')
	want=$(printf '%s\n--\n%s\n' "$hsubj" "$hbody")
	if [ "$got" = "$want" ]; then
		pass "hostile subject and body arrive intact"
	else
		fail "hostile subject and body" "got: $(printf '%q' "$got")"
	fi
	printf '%s\n' "$reply" | sed '/^$/q' | grep -q '^Subject: .*=?utf-8?' &&
		pass "UTF-8 subject is MIME-encoded" || fail "UTF-8 subject" "not MIME-encoded"
fi
if q -c "UPDATE vacation SET subject = E'a\\r\\nBcc: x@example.net' WHERE account_id = (SELECT id FROM account WHERE username = '$user')" >/dev/null 2>&1; then
	fail "CR/LF in the subject" "the database accepted it"
else
	pass "CR/LF in the subject is refused by the database"
fi

# --- 6. the user's own Sieve script still runs ---------------------------------------
set_vacation 'Absent' 'Away.' '' '' 4 && vsync
own='require ["fileinto", "mailbox"];
if header :contains "subject" "[file-me]" { fileinto :create "Filed"; }'
if printf '%s\n' "$own" | doveadm -c "$DOVECOT_CONF" sieve put -u "$user" -a own >/dev/null 2>&1; then
	send "sender+o@$sdom" "jean@$dom" --h-Subject "[file-me] please"
	if expect_reply "reply while the user's own script is active" >/dev/null; then
		pass "reply while the user's own script is active"
	fi
	if grep -lF "$mid" "$home"/Maildir/.Filed/new/* >/dev/null 2>&1; then
		pass "the user's own script filed the message"
	else
		fail "user's own script" "the message is not in Filed"
	fi
	[ -f "$home/sieve/own.sieve" ] && [ -f "$script" ] &&
		pass "vacation and user scripts live side by side" ||
		fail "scripts side by side" "one of the scripts is missing"
else
	fail "user's own script" "doveadm sieve put failed"
fi

# --- 7. removing the vacation removes the script -------------------------------------------
q -c "DELETE FROM vacation WHERE account_id = (SELECT id FROM account WHERE username = '$user')" >/dev/null
vsync
[ ! -e "$script" ] && pass "deleting the vacation removes the script" ||
	fail "delete" "$script still exists"
[ -f "$home/sieve/own.sieve" ] && pass "the user's own script survives" ||
	fail "delete" "the user's own script was removed"
send "sender+r@$sdom" "jean@$dom"
expect_no_reply "no reply once the vacation is removed" ""

exit $((failures > 0))
