#!/bin/bash
# 62-scan-down.sh - no mail is delivered unscanned when the scanner is down.
#   - SIGTERM stops casier-milter (supervisor and worker) cleanly;
#   - while it is stopped, mail on the inbound port and on submissions
#     gets a temporary 4xx (milter_default_action = tempfail): nothing is
#     queued, nothing delivered;
#   - started again, mail passes;
#   - a worker killed with SIGKILL is restarted by the supervisor and
#     mail passes again.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
# Leaves the milter running.
set -u
. "$(dirname "$0")/6x-scan-lib.sh"

scan_setup_account || fail "setup" "cannot create the test account"
run=$$-$RANDOM
trap 'pid_alive_scan || scan_milter_start >/dev/null 2>&1; rm -rf "$SCAN_TMP"' EXIT
pid_alive_scan() { [ -f "$SCAN_PIDFILE" ] && kill -0 "$(cat "$SCAN_PIDFILE")" 2>/dev/null; }

pids=$(scan_pids)
if [ "$(echo "$pids" | wc -w)" != 2 ]; then
	fail "milter running" "expected supervisor and worker, got '$pids'"
fi
kill -TERM "$(cat "$SCAN_PIDFILE")"
for i in $(seq 1 100); do
	[ -z "$(scan_pids)" ] && break
	sleep 0.1
done
if [ -z "$(scan_pids)" ]; then
	pass "SIGTERM stops supervisor and worker"
else
	fail "SIGTERM stops supervisor and worker" "still running: $(scan_pids)"
fi
if grep -q 'stopped' "$SCAN_LOG"; then
	pass "worker logged a clean stop"
else
	fail "worker logged a clean stop" "no 'stopped' in $SCAN_LOG"
fi

for port in inbound submissions; do
	for kind in clean zip; do
		token=down-$port-$kind-$run
		scan_make "$kind" "$token" "$SCAN_TMP/m.eml"
		reply=$(scan_send "$port" "$SCAN_TMP/m.eml" | scan_data_reply)
		case $reply in
		4[0-9][0-9]" 4."*) pass "milter down, $port $kind: deferred with $reply" ;;
		*) fail "milter down, $port $kind: deferred with 4xx" "got '$reply'" ;;
		esac
	done
done
sleep 2
if [ "$(scan_delivered_count "down-")" = 0 ] && scan_queue_empty; then
	pass "milter down: nothing delivered, nothing queued"
else
	fail "milter down: nothing delivered, nothing queued" \
		"$(scan_delivered_count "down-") delivered; $(postqueue -c "$POSTFIX_DIR" -p | tail -n 1)"
fi

if scan_milter_start >/dev/null 2>&1; then
	pass "milter starts again"
else
	fail "milter starts again" "start.d/50-milter.sh failed"
fi
token=up-again-$run
scan_make clean "$token" "$SCAN_TMP/m.eml"
reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "$token" 20; then
	pass "milter back: clean mail delivered"
else
	fail "milter back: clean mail delivered" "got '$reply'"
fi

# Kill the worker (the process that is not in the pid file).
sup=$(cat "$SCAN_PIDFILE")
worker=$(pgrep -P "$sup" | head -n 1)
if [ -n "$worker" ]; then
	kill -KILL "$worker"
	for i in $(seq 1 100); do
		new=$(pgrep -P "$sup" | head -n 1)
		[ -n "$new" ] && [ "$new" != "$worker" ] && [ -S "$CASIER_SOCK_DIR/milter.sock" ] && break
		sleep 0.1
	done
	sleep 0.5
	token=after-kill-$run
	scan_make clean "$token" "$SCAN_TMP/m.eml"
	reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
	if [ -n "$new" ] && [ "$new" != "$worker" ] && [ "${reply:0:3}" = 250 ] &&
		scan_wait_delivered "$token" 20; then
		pass "killed worker restarted by the supervisor; mail delivered"
	else
		fail "killed worker restarted by the supervisor" "worker $worker -> '$new', reply '$reply'"
	fi
	scan_make zip "after-kill-eicar-$run" "$SCAN_TMP/m.eml"
	reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
	[ "${reply:0:9}" = "554 5.7.1" ] && pass "restarted worker refuses EICAR" ||
		fail "restarted worker refuses EICAR" "got '$reply'"
else
	fail "killed worker restarted by the supervisor" "no worker under supervisor $sup"
fi
scan_finish
