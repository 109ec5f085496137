#!/bin/bash
# 64-scan-oversize.sh - the documented policy for messages over the scan
# size, with a real Postfix.  Restarts casier-milter with a 64 KiB
# max_message_size and a 16 KiB memory_buffer (so the spill file is used):
#   - 40 KiB with EICAR (spilled to a file, under the limit): 554 5.7.1;
#   - 40 KiB clean: delivered with the normal X-Virus-Scanned;
#   - 200 KiB clean, on_oversize = accept: delivered, marked
#     "X-Virus-Scanned: skipped (too large)";
#   - 200 KiB, on_oversize = reject: 552 5.3.4, nothing delivered;
#   - 200 KiB, on_oversize = tempfail: 451 4.7.0, nothing delivered.
# Restores the configuration and restarts the milter at the end.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/6x-scan-lib.sh"

scan_setup_account || fail "setup" "cannot create the test account"
run=$$-$RANDOM
conf_backup=$SCAN_TMP/casier.conf.orig
cp -p "$CASIER_CONFIG" "$conf_backup"

scan_stop() {
	local pid i
	pid=$(cat "$SCAN_PIDFILE" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
restore() {
	cp -p "$conf_backup" "$CASIER_CONFIG"
	scan_stop
	scan_milter_start >/dev/null 2>&1
	rm -rf "$SCAN_TMP"
}
trap restore EXIT

# scan_reconfigure KEY=VALUE...: set keys of the [scan] section, restart.
scan_reconfigure() {
	local kv
	cp -p "$conf_backup" "$CASIER_CONFIG.new"
	for kv in "$@"; do
		awk -v key="${kv%%=*}" -v val="${kv#*=}" '
			/^\[/ { sec = $0 }
			sec == "[scan]" && $1 == key { print key " = " val; next }
			{ print }' "$CASIER_CONFIG.new" >"$CASIER_CONFIG.tmp" &&
			mv "$CASIER_CONFIG.tmp" "$CASIER_CONFIG.new"
	done
	chmod 0644 "$CASIER_CONFIG.new"
	mv "$CASIER_CONFIG.new" "$CASIER_CONFIG"
	scan_stop || return 1
	scan_milter_start >/dev/null 2>&1
}

# A message of about SIZE bytes, optionally with EICAR in its first line.
big() {
	scan_make "size:$2" "$1" "$SCAN_TMP/big.eml"
	if [ "${3:-}" = eicar ]; then
		printf '%s\r\n' "$EICAR" >>"$SCAN_TMP/big.eml"
	fi
}

if scan_reconfigure max_message_size=64k memory_buffer=16k on_oversize=accept; then
	pass "milter restarted with max_message_size = 64k"
else
	fail "milter restarted with max_message_size = 64k" "see $SCAN_LOG"
fi
big "spill-eicar-$run" 40960 eicar
reply=$(scan_send inbound "$SCAN_TMP/big.eml" | scan_data_reply)
case $reply in
"554 5.7.1 Virus found: Casier.Test.EICAR"*) pass "40 KiB with EICAR, scanned from the spill file: refused" ;;
*) fail "40 KiB with EICAR, scanned from the spill file: refused" "got '$reply'" ;;
esac
big "spill-clean-$run" 40960
reply=$(scan_send inbound "$SCAN_TMP/big.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "spill-clean-$run" 20 &&
	grep -q '^X-Virus-Scanned: clean' "$(scan_delivered_file "spill-clean-$run")"; then
	pass "40 KiB clean: delivered, marked clean"
else
	fail "40 KiB clean: delivered, marked clean" "got '$reply'"
fi
oversize_logged=$(grep -c 'verdict=oversize action=accept' "$SCAN_LOG")
big "over-accept-$run" 204800
reply=$(scan_send inbound "$SCAN_TMP/big.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "over-accept-$run" 20 &&
	grep -q '^X-Virus-Scanned: skipped (too large)' "$(scan_delivered_file "over-accept-$run")"; then
	pass "200 KiB, on_oversize = accept: delivered, marked skipped (too large)"
else
	fail "200 KiB, on_oversize = accept: delivered, marked skipped (too large)" "got '$reply'"
fi
[ "$(grep -c 'verdict=oversize action=accept' "$SCAN_LOG")" -gt "$oversize_logged" ] &&
	pass "oversize accept logged" || fail "oversize accept logged" "no line in $SCAN_LOG"

scan_reconfigure max_message_size=64k on_oversize=reject || fail "restart (reject)" "see $SCAN_LOG"
big "over-reject-$run" 204800
reply=$(scan_send inbound "$SCAN_TMP/big.eml" | scan_data_reply)
case $reply in
"552 5.3.4 "*) pass "200 KiB, on_oversize = reject: 552 5.3.4" ;;
*) fail "200 KiB, on_oversize = reject: 552 5.3.4" "got '$reply'" ;;
esac

scan_reconfigure max_message_size=64k on_oversize=tempfail || fail "restart (tempfail)" "see $SCAN_LOG"
big "over-tempfail-$run" 204800
reply=$(scan_send inbound "$SCAN_TMP/big.eml" | scan_data_reply)
case $reply in
"451 4.7.0 "*) pass "200 KiB, on_oversize = tempfail: 451 4.7.0" ;;
*) fail "200 KiB, on_oversize = tempfail: 451 4.7.0" "got '$reply'" ;;
esac
sleep 1
if [ "$(scan_delivered_count "over-reject-$run")" = 0 ] &&
	[ "$(scan_delivered_count "over-tempfail-$run")" = 0 ] && scan_queue_empty; then
	pass "refused and deferred oversize mail: not delivered, not queued"
else
	fail "refused and deferred oversize mail: not delivered, not queued" "found some"
fi
scan_finish
