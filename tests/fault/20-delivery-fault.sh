#!/bin/bash
# tests/fault/20-delivery-fault.sh - delivery under load with faults
# (DESIGN section 11): 2,000 messages of 10 KB from 10 concurrent SMTP
# senders to the inbound port (20 % to aliases of two mailboxes) while
#   - casier-deliverd is killed with SIGKILL and restarted,
#   - PostgreSQL is stopped for 20 s,
#   - Dovecot is stopped for 20 s.
# Afterwards (queue drained) every accepted message must be in exactly
# the expected mailboxes: missing copies fail the test, duplicates are
# counted and reported (a duplicate can happen by design when a next hop
# accepted a copy and the connection died before deliverd answered).
#
# It stops PostgreSQL and Dovecot of the stack it runs against, which would
# break tests running beside it: tools/test runs it last, alone.  By hand,
# on a stack of its own (docs/delivery.md):
#   CASIER_RUN_DIR=/work/run-x CASIER_BASE_PORT=24000 tools/up
#   CASIER_RUN_DIR=/work/run-x tests/fault/20-delivery-fault.sh [MESSAGES]
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/../integration/2x-delivery-lib.sh"
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
stack_env
export DOVECOT_CONF DOVECOT_CONF_D POSTFIX_DIR CASIER_SRC_DIR

N=${1:-2000}
ACCOUNTS=20
run=f$$
new_domain 100 200 || { fail setup "new_domain"; finish; }
D=$DOMAIN
declare -a USERS
for i in $(seq 0 $((ACCOUNTS - 1))); do
	new_account "u$i@$D" || { fail setup "account u$i"; finish; }
	USERS[i]=$USERNAME
done
for k in 0 1 2 3 4; do
	add_alias "$D" "pair$k" "u$k@$D" "u$((k + 10))@$D" >/dev/null
done

# The plan: message i goes to an alias when i % 5 == 0, else to an account.
plan=$TEST_TMP/plan
expect=$TEST_TMP/expect # "ID USERNAME" per expected copy
: >"$plan"
: >"$expect"
for i in $(seq 1 "$N"); do
	id=$run-$i
	if [ $((i % 5)) = 0 ]; then
		k=$(((i / 5) % 5))
		echo "pair$k@$D $id" >>"$plan"
		echo "$id ${USERS[k]}" >>"$expect"
		echo "$id ${USERS[k + 10]}" >>"$expect"
	else
		a=$((i % ACCOUNTS))
		echo "u$a@$D $id" >>"$plan"
		echo "$id ${USERS[a]}" >>"$expect"
	fi
done

# --- a slow database: statements are bounded (db_timeout), the answer is
# a temporary failure, not a hang and not "unknown" ------------------------------
psql -X -q -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d casier \
	-c "BEGIN; LOCK TABLE account IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(12); COMMIT;" >/dev/null 2>&1 &
lockpid=$!
sleep 1
t0=$(date +%s)
r=$(rcpt_reply "u1@$D")
t1=$(date +%s)
assert_contains "slow database: 451 4.3.0 at the inbound RCPT" "$r" "451 4.3.0"
reply=$(printf 'LHLO t\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<u1@%s>\r\nQUIT\r\n' "$D" |
	socat -t 30 - "UNIX-CONNECT:$CASIER_SOCK_DIR/deliverd-lmtp" 2>&1 | tr -d '\r')
assert_contains "slow database: 451 4.3.0 at the LMTP RCPT" "$reply" "451 4.3.0"
if [ $((t1 - t0)) -le 9 ]; then
	pass "slow database: answered within the statement timeout ($((t1 - t0)) s)"
else
	fail "slow database: answered within the statement timeout" "$((t1 - t0)) s"
fi
wait "$lockpid"

pg_stop() { runuser -u postgres -- "$CASIER_PG_BIN/pg_ctl" -D "$CASIER_PG_DATA" -m fast -w stop >/dev/null; }
pg_start() {
	runuser -u postgres -- "$CASIER_PG_BIN/pg_ctl" -D "$CASIER_PG_DATA" -l "$CASIER_LOG_DIR/postgresql.log" -w -t 30 \
		-o "-k $CASIER_SOCK_DIR -p $CASIER_PGPORT -c listen_addresses='' -c fsync=off" start >/dev/null
}
faults() {
	# early, so that every fault overlaps the SMTP intake as well as
	# the deliveries from the queue
	sleep 2
	echo "fault: kill -9 casier-deliverd"
	kill -9 "$(cat "$CASIER_PID_DIR/deliverd.pid")"
	sleep 1
	bash "$CASIER_SRC_DIR/tools/stack/start.d/30-deliverd.sh" || echo "fault: deliverd restart failed"
	sleep 1
	echo "fault: PostgreSQL down for 20 s"
	pg_stop
	sleep 20
	pg_start || echo "fault: PostgreSQL restart failed"
	sleep 1
	echo "fault: Dovecot down for 20 s"
	doveadm -c "$DOVECOT_CONF" stop
	sleep 20
	dovecot -c "$DOVECOT_CONF" || echo "fault: Dovecot restart failed"
	echo "fault: all restored"
}

faults >"$TEST_TMP/faults.log" 2>&1 &
fpid=$!
python3 "$CASIER_SRC_DIR/bench/delivery/smtp-load.py" --port "$CASIER_SMTP_PORT" --senders 10 \
	--size 10240 --give-up 300 --accepted "$TEST_TMP/accepted" <"$plan" >"$TEST_TMP/load.out" 2>&1
wait "$fpid"
cat "$TEST_TMP/faults.log"
echo "load: $(cat "$TEST_TMP/load.out")"
acc=$(wc -l <"$TEST_TMP/accepted")
assert_eq "every message was eventually accepted by the inbound smtpd" "$N" "$acc"

# Drain the queue (Postfix backs off up to 120 s; push it).
for _ in $(seq 1 60); do
	postqueue -c "$POSTFIX_DIR" -f
	sleep 5
	postqueue -c "$POSTFIX_DIR" -p | grep -q "^[0-9A-F]" || break
done
left=$(postqueue -c "$POSTFIX_DIR" -p | grep -c "^[0-9A-F]")
assert_eq "queue drained" 0 "$left"

# What arrived: "ID USERNAME" per copy found in the Maildirs.
found=$TEST_TMP/found
: >"$found"
for u in "${USERS[@]}"; do
	d=$CASIER_MAIL_ROOT/$D/$u/Maildir
	[ -d "$d" ] || continue
	find "$d/new" "$d/cur" -type f -exec grep -h -m1 "^Subject: load $run-" {} + 2>/dev/null |
		awk -v u="$u" '{print $3, u}' >>"$found"
done
grep -Fwf "$TEST_TMP/accepted" "$expect" | sort >"$TEST_TMP/want"
sort "$found" >"$TEST_TMP/got"
missing=$(comm -23 "$TEST_TMP/want" <(sort -u "$TEST_TMP/got") | wc -l)
dups=$(($(wc -l <"$TEST_TMP/got") - $(sort -u "$TEST_TMP/got" | wc -l)))
extra=$(comm -13 "$TEST_TMP/want" <(sort -u "$TEST_TMP/got") | wc -l)
echo "copies expected $(wc -l <"$TEST_TMP/want"), found $(wc -l <"$TEST_TMP/got"), missing $missing, duplicates $dups, misdelivered $extra"
assert_eq "no accepted message lost (every expected copy present)" 0 "$missing"
assert_eq "no copy in a wrong mailbox" 0 "$extra"
if [ "$dups" = 0 ]; then
	pass "no duplicates"
else
	echo "NOTE: $dups duplicate copies (see docs/delivery.md, failure semantics)"
fi
bounces=$(grep -lF "$run-" "$CASIER_CATCHER_DIR"/* 2>/dev/null | wc -l)
assert_eq "nothing bounced" 0 "$bounces"
finish
