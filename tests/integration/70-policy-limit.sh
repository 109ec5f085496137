#!/bin/bash
# 70-policy-limit.sh - outbound limit with automatic block (issue 6,
# DESIGN section 6), against the real stack (Postfix submissions +465,
# casier-policyd, Dovecot, the catcher on +2525):
#   - limit 3/h: three messages to outside recipients are accepted and
#     reach the catcher; the fourth is refused with 554 5.7.1 and blocks
#     the account (outbound_blocked_until, reason, audit_log by policyd);
#   - a blocked account is refused at RCPT; policyd flushes its logins
#     from Dovecot's auth cache and the passdb refuses service=smtp, so
#     AUTH fails at once, but IMAP still works;
#   - the notification reaches the domain contact's mailbox and the
#     superuser address (catcher);
#   - recipients in the hosted domains (and alias domains) do not count;
#   - after an unblock through the API (or the SQL function it uses when
#     the web manager is not running) sending works again;
#   - the daily report counts exactly the messages accepted.
# Needs run/stack.env in the environment.  Prints PASS:/FAIL: lines.
set -u
: "${CASIER_PGHOST:?source run/stack.env}"
. "$(dirname "$0")/70-policy-lib.inc"

dom=pl$$.example.com
alias_dom=pl$$-alias.example.com
pfx=pl$(printf '%05d' $(($$ % 100000)) | tr 0-9 a-j)
pw='Tr4vel-Blue-92'
hash=$(doveadm pw -s ARGON2ID -p "$pw")
sql "INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes, contact)
     VALUES ('$dom', '$pfx', 10, 10485760, 'boss@$dom');
     INSERT INTO alias_domain (name, domain_id) SELECT '$alias_dom', id FROM domain WHERE name = '$dom';
     SELECT account_create('$dom', 'sender', '$hash', NULL);
     SELECT account_create('$dom', 'boss', '$hash', NULL);
     UPDATE account SET send_limit_per_hour = 3 WHERE local_part = 'sender'
       AND domain_id = (SELECT id FROM domain WHERE name = '$dom');" >/dev/null
user=$(sql "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom' AND local_part = 'sender'")
boss=$(sql "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom' AND local_part = 'boss'")
[ -n "$user" ] && [ -n "$boss" ] || { fail "setup" "accounts not created"; finish; }

tag=lim$$
# Three messages, one outside recipient each, all accepted and delivered.
ok=1
for i in 1 2 3; do
	out=$(submit "$user" "$pw" "sender@$dom" "r$i.$tag@test.example" "$tag-$i") || {
		ok=0
		fail "message $i within the limit" "$(echo "$out" | grep -E '^ *<~?\*? *[45]' | head -n 2)"
	}
done
[ $ok = 1 ] && pass "three messages within the limit of 3/h accepted"
if wait_delivered "r3.$tag@test.example" "$tag-3" && wait_delivered "r1.$tag@test.example" "$tag-1" &&
	wait_delivered "r2.$tag@test.example" "$tag-2"; then
	pass "the three messages reached the catcher"
else
	fail "catcher" "messages $tag-1..3 not all found in $CASIER_CATCHER_DIR"
fi

# Hosted recipients (primary and alias domain) do not count.
if submit "$user" "$pw" "sender@$dom" "boss@$alias_dom" "$tag-hosted" >/dev/null &&
	submit "$user" "$pw" "sender@$dom" "boss@$dom" "$tag-hosted2" >/dev/null; then
	pass "hosted recipients (alias domain too) are not counted"
else
	fail "hosted recipients" "refused although only outside recipients count"
fi

# The fourth outside message crosses the limit.
su_before=$(sent_count superuser@test.example)
out=$(submit "$user" "$pw" "sender@$dom" "r4.$tag@test.example" "$tag-4")
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q '554 5.7.1.*blocked for sending'; then
	pass "the message crossing the limit is refused with 554 5.7.1"
else
	fail "crossing message" "rc=$rc: $(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
blocked=$(sql "SELECT outbound_blocked_until > now() + interval '2 days', outbound_block_reason IS NOT NULL
	FROM account WHERE username = '$user'")
[ "$blocked" = "t|t" ] && pass "account blocked for ~3 days with a reason" ||
	fail "block" "outbound_blocked_until/reason: $blocked"
n=$(sql "SELECT count(*) FROM audit_log WHERE actor = 'policyd' AND action = 'account.outbound_block' AND object = '$user'")
[ "$n" = 1 ] && pass "audit log records the block (actor policyd)" || fail "audit" "$n rows"
sleep 1
if wait_delivered "r4.$tag@test.example" "$tag-4" 3; then
	fail "refused message" "the refused message reached the catcher"
else
	pass "the refused message was not delivered"
fi

# Blocked: the earlier sends left the login in Dovecot's auth cache;
# policyd flushed it with the block, so AUTH itself fails now (the passdb
# refuses service=smtp for a blocked account).
out=$(submit "$user" "$pw" "sender@$dom" "boss@$dom" "$tag-5")
if [ $? -ne 0 ] && echo "$out" | grep -Eq '535 '; then
	pass "a blocked account cannot send, even to hosted recipients: AUTH refused at once"
else
	fail "blocked account sends" "want 535 at AUTH: $(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
if doveadm -c "$DOVECOT_CONF" auth test -x service=smtp "$user" "$pw" >/dev/null 2>&1; then
	fail "passdb smtp" "Dovecot still authenticates the blocked account for smtp"
else
	pass "Dovecot refuses service=smtp for the blocked account"
fi
if imap_login "$user" "$pw"; then
	pass "IMAP still works for the blocked account"
else
	fail "imap" "IMAPS login/select failed for the blocked account"
fi

# One notification to the domain contact (a hosted mailbox) and one to
# the superuser address (the catcher).
if wait_mailbox "$dom" "$boss" "Outbound mail blocked for sender@$dom"; then
	pass "the domain contact received the block notification"
else
	fail "notification" "nothing in $CASIER_MAIL_ROOT/$dom/$boss after 30 s"
fi
su_ok=0
for i in $(seq 1 30); do
	if grep -rlF -- "Outbound mail blocked for sender@$dom" "$CASIER_CATCHER_DIR" >/dev/null 2>&1 ||
		[ "$(sent_count superuser@test.example)" -gt "$su_before" ]; then
		su_ok=1
		break
	fi
	sleep 1
done
if [ $su_ok = 1 ]; then
	pass "the superuser address received the block notification"
else
	fail "notification superuser" "not in the catcher"
fi
n=$(sql "SELECT count(*) FROM outbound_notification WHERE username = '$user' AND sent_at IS NOT NULL")
[ "$n" = 2 ] && pass "exactly one notification per recipient for the block" ||
	fail "notification count" "$n sent rows (want 2)"

# Unblock through the API (POST /api/v1/accounts/{username}/unblock) when
# the web manager runs, else with the SQL function the API uses; send again.
how=API
if [ -n "${CASIER_API_TOKEN:-}" ] && api GET /api/v1/accounts/"$user" >/dev/null; then
	body=$(api GET /api/v1/accounts/"$user")
	echo "$body" | grep -q '"outbound_blocked_until": *"2' &&
		pass "GET account shows outbound_blocked_until" || fail "GET account" "$body"
	body=$(api POST /api/v1/accounts/"$user"/unblock)
	echo "$body" | grep -q '"outbound_blocked_until": *null' ||
		fail "API unblock" "$body"
	actor=$CASIER_SUPERUSER
else
	how=SQL
	sql "SELECT outbound_unblock('$user', 'test-70')" >/dev/null
	doveadm -c "$DOVECOT_CONF" auth cache flush >/dev/null 2>&1
	actor=test-70
fi
if submit "$user" "$pw" "sender@$dom" "r6.$tag@test.example" "$tag-6" >/dev/null && wait_delivered "r6.$tag@test.example" "$tag-6"; then
	pass "after unblock ($how) sending works again"
else
	fail "unblock" "sending still refused after unblock ($how)"
fi
n=$(sql "SELECT count(*) FROM audit_log WHERE action = 'account.outbound_unblock' AND object = '$user' AND actor = '$actor'")
[ "$n" = 1 ] && pass "the unblock is audited (actor $actor)" || fail "unblock audit" "$n rows"

# Mail re-injected by Casier itself (deliverd forwards, vacation replies)
# comes through the internal smtpd (+26), which has no policy hook: it is
# neither refused nor counted, even beyond the account's limit.
before=$(sql "SELECT coalesce(sum(recipients), 0) FROM outbound_minute m JOIN account a ON a.id = m.account_id WHERE a.username = '$user'")
ok=1
for i in 1 2 3 4; do
	swaks --server "$CASIER_HOST" --port "$CASIER_REINJECT_PORT" --from "sender@$dom" \
		--to "fw$i.$tag@test.example" --header "Subject: $tag-fw$i" --timeout 30 >/dev/null 2>&1 || ok=0
done
after=$(sql "SELECT coalesce(sum(recipients), 0) FROM outbound_minute m JOIN account a ON a.id = m.account_id WHERE a.username = '$user'")
blocked=$(sql "SELECT outbound_blocked_until IS NOT NULL FROM account WHERE username = '$user'")
if [ $ok = 1 ] && [ "$before" = "$after" ] && [ "$blocked" = f ]; then
	pass "re-injected mail (+26) is not counted against the account"
else
	fail "re-injection" "accepted=$ok counted $before -> $after blocked=$blocked"
fi

# Report figures equal what was sent: 3 + 2 hosted + 1 after unblock
# accepted, 1 refused; outside recipients 4.
rep=$(sql "SELECT messages, outside_recipients, refused FROM outbound_daily o JOIN account a ON a.id = o.account_id
	WHERE a.username = '$user'")
[ "$rep" = "6|4|1" ] && pass "daily report: 6 messages, 4 outside recipients, 1 refused" ||
	fail "report" "got $rep, want 6|4|1"
finish
