#!/bin/bash
# 72-policy-daemon.sh - casier-policyd as a network service (issue 6):
#   - two instances on two sockets share their counters (PostgreSQL is
#     the source of truth): messages whose RCPT and end of data go to
#     different instances add up, and the one crossing the limit blocks;
#   - hostile requests: a 1 MB attribute, binary bytes, a request without
#     the terminating empty line (closed after request_timeout): each
#     connection is closed without an answer and the daemon keeps serving;
#   - PostgreSQL unreachable: a temporary 451 answer, never DUNNO/OK.
# Starts its own extra instances (as user casier) and stops them by pid.
# Needs run/stack.env in the environment.  Prints PASS:/FAIL: lines.
set -u
: "${CASIER_PGHOST:?source run/stack.env}"
. "$(dirname "$0")/70-policy-lib.inc"

bin=${CASIER_BUILD_DIR:-$CASIER_BIN_DIR}/policy/casier-policyd
sock1=$CASIER_SOCK_DIR/policyd.sock
tmp=$(mktemp -d /tmp/casier-policy72.XXXXXX)
chmod 0755 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
	rm -f "$CASIER_SOCK_DIR/policyd-t72a-$$.sock" "$CASIER_SOCK_DIR/policyd-t72b-$$.sock"
}
trap cleanup EXIT

# start_instance CONFIG SOCKET: start casier-policyd as casier.
start_instance() {
	rm -f "$2"
	setpriv --reuid=casier --regid=casier --init-groups -- \
		"$bin" -c "$1" -s "$2" </dev/null >>"$tmp/policyd-$(basename "$2").log" 2>&1 &
	pids+=($!)
	local i
	for i in $(seq 1 50); do
		[ -S "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Started as root, policyd refuses instead of serving with privileges.
out=$(timeout 10 "$bin" -c "$CASIER_CONFIG" -s "$CASIER_SOCK_DIR/policyd-t72r-$$.sock" </dev/null 2>&1)
rc=$?
if [ "$(id -u)" = 0 ] && [ "$rc" != 0 ] && [[ $out == *"refusing to run as root"* ]] &&
	[ ! -e "$CASIER_SOCK_DIR/policyd-t72r-$$.sock" ]; then
	pass "refuses to run as root"
else
	fail "refuses to run as root" "exit $rc: $out"
	rm -f "$CASIER_SOCK_DIR/policyd-t72r-$$.sock"
fi

sock2=$CASIER_SOCK_DIR/policyd-t72a-$$.sock
if start_instance "$CASIER_CONFIG" "$sock2"; then
	pass "a second instance starts on another socket"
else
	fail "second instance" "no socket; $(cat "$tmp"/*.log)"
	finish
fi

dom=pd$$.example.com
pfx=pd$(printf '%05d' $(($$ % 100000)) | tr 0-9 a-j)
hash=$(doveadm pw -s ARGON2ID -p 'Tr4vel-Blue-92')
sql "INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes, send_limit_per_hour)
     VALUES ('$dom', '$pfx', 5, 10485760, 3);
     SELECT account_create('$dom', 'multi', '$hash', NULL);" >/dev/null
user=$(sql "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")

rcpt() { # SOCKET INSTANCE RECIPIENT
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=%s\nclient_address=127.0.0.1\nsender=multi@%s\nrecipient=%s\ninstance=%s\nrecipient_count=0\n\n' \
		"$user" "$dom" "$3" "$2" | policy_ask "$1"
}
eod() { # SOCKET INSTANCE COUNT
	printf 'request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=%s\nclient_address=127.0.0.1\nsender=multi@%s\nrecipient=\ninstance=%s\nrecipient_count=%s\n\n' \
		"$user" "$dom" "$2" "$3" | policy_ask "$1"
}
i=t72.$$
a=$(rcpt "$sock1" "$i.1" a@test.example; rcpt "$sock1" "$i.1" b@test.example; eod "$sock2" "$i.1" 2)
b=$(rcpt "$sock2" "$i.2" c@test.example; eod "$sock1" "$i.2" 1)
c=$(rcpt "$sock1" "$i.3" d@test.example; eod "$sock2" "$i.3" 1)
if [ "$(echo "$a$b" | grep -c 'action=DUNNO')" = 4 ] && echo "$c" | grep -q 'action=554 5.7.1'; then
	pass "two instances share counters: 2 + 1 pass, the 4th recipient blocks (limit 3 from the domain)"
else
	fail "shared counters" "got: $(echo "$a $b $c" | tr '\n' ' ')"
fi
out=$(rcpt "$sock2" "$i.4" e@test.example)
echo "$out" | grep -q 'action=554 5.7.1 This account is blocked' &&
	pass "the block made through one instance is seen by the other at RCPT" ||
	fail "block visible" "$out"

# Hostile requests; the daemon must keep answering afterwards.
alive() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\nsender=\nrecipient=x@%s\ninstance=h.%s\n\n' \
		"$dom" "$$" | policy_ask "$sock1" | grep -q 'action=DUNNO'
}
python3 -c 'import sys; sys.stdout.buffer.write(b"request=smtpd_access_policy\nsender=" + b"a" * 1048576 + b"\n\n")' >"$tmp/big"
if policy_ask "$sock1" <"$tmp/big" >/dev/null; then
	fail "1 MB attribute" "answered instead of closing"
elif alive; then
	pass "a 1 MB attribute closes the connection; the daemon still answers"
else
	fail "1 MB attribute" "daemon no longer answers"
fi
if printf 'request=smtpd_access_policy\nsender=\001\002\377\000x\n\n' | policy_ask "$sock1" >/dev/null; then
	fail "binary bytes" "answered instead of closing"
elif alive; then
	pass "binary bytes close the connection; the daemon still answers"
else
	fail "binary bytes" "daemon no longer answers"
fi
start=$(date +%s)
if printf 'request=smtpd_access_policy\nprotocol_state=RCPT\n' | policy_ask "$sock1" >/dev/null; then
	fail "no empty line" "answered an unterminated request"
else
	took=$(($(date +%s) - start))
	if [ "$took" -ge 5 ] && [ "$took" -le 25 ] && alive; then
		pass "a request without the empty line is closed after the request timeout (${took}s)"
	else
		fail "no empty line" "closed after ${took}s"
	fi
fi
grep -q 'malformed policy request (line too long)' "$CASIER_LOG_DIR/policyd.log" &&
	grep -q 'not terminated within' "$CASIER_LOG_DIR/policyd.log" &&
	pass "hostile requests are logged" || fail "log" "no malformed/timeout lines in policyd.log"

# PostgreSQL unreachable: a temporary refusal.
sed -e 's/^conninfo = .*/conninfo = host=\/nonexistent port=1 dbname=casier user=casier connect_timeout=2/' \
	"$CASIER_CONFIG" >"$tmp/down.conf"
chmod 0644 "$tmp/down.conf"
sock3=$CASIER_SOCK_DIR/policyd-t72b-$$.sock
start_instance "$tmp/down.conf" "$sock3"
out=$(rcpt "$sock3" "$i.9" z@test.example)
echo "$out" | grep -q '^action=451 4.3.0' && pass "database down: 451 4.3.0 at RCPT" || fail "db down rcpt" "$out"
out=$(eod "$sock3" "$i.9" 1)
echo "$out" | grep -q '^action=451 4.3.0' && pass "database down: 451 4.3.0 at end of data" || fail "db down eod" "$out"
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.2\nsender=a@b.example\nrecipient=x@test.example\ninstance=r.%s\n\n' "$$" | policy_ask "$sock3")
echo "$out" | grep -q '^action=451 4.3.0' && pass "database down: relaying refused temporarily, not permitted" ||
	fail "db down relay" "$out"
finish
