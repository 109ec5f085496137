#!/bin/bash
# 63-scan-malformed.sh - malformed MIME does not crash the scanner.
#   - unterminated multipart boundaries, broken base64, 90-deep multipart
#     nesting (under Postfix's mime_nesting_limit of 100, so the milter
#     scans it) and 200-deep (Postfix itself may refuse it with 550 5.6.0
#     when its MIME processing is on), clean and with EICAR at the bottom,
#     a message with headers only, binary junk: each gets a definite
#     answer (250, 550 or 554; never a 4xx from a crashed milter);
#   - the milter processes are the same afterwards and clean mail passes;
#   - EICAR at the bottom of the nesting is not delivered.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/6x-scan-lib.sh"

scan_setup_account || fail "setup" "cannot create the test account"
run=$$-$RANDOM
pids_before=$(scan_pids)
crashes_before=$(grep -c 'worker exited unexpectedly' "$SCAN_LOG")

for kind in unterminated broken-base64 deep-nesting:90 deep-nesting-eicar:90 \
	deep-nesting:200 deep-nesting-eicar:200 headers-only binary; do
	token=malformed-${kind/:/-}-$run
	scan_make "$kind" "$token" "$SCAN_TMP/m.eml"
	reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
	case $reply in
	250" "* | "554 5.7.1 "* | "550 5.6.0 "*) pass "$kind: definite answer ($reply)" ;;
	*) fail "$kind: definite answer" "got '$reply'" ;;
	esac
	if [ "${kind%:*}" = deep-nesting-eicar ]; then
		# libclamav stops descending at max_recursion; whatever it
		# decides, a 250 here would have to be a clean verdict.
		sleep 1
		if [ "${reply:0:3}" = 554 ] || [ "$(scan_delivered_count "$token")" = 0 ]; then
			pass "$kind: not delivered"
		else
			fail "$kind: not delivered" "delivered despite EICAR"
		fi
	fi
done

if [ "$(scan_pids)" = "$pids_before" ]; then
	pass "milter processes unchanged (no crash, no restart)"
else
	fail "milter processes unchanged" "before '$pids_before' after '$(scan_pids)'"
fi
if [ "$(grep -c 'worker exited unexpectedly' "$SCAN_LOG")" != "$crashes_before" ]; then
	fail "no worker crash logged" "$(grep 'worker exited' "$SCAN_LOG" | tail -n 1)"
else
	pass "no worker crash logged"
fi
token=after-malformed-$run
scan_make clean "$token" "$SCAN_TMP/m.eml"
reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "$token" 20; then
	pass "clean mail still delivered afterwards"
else
	fail "clean mail still delivered afterwards" "got '$reply'"
fi
scan_finish
