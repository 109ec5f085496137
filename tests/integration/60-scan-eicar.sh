#!/bin/bash
# 60-scan-eicar.sh - casier-milter refuses infected mail at SMTP time.
#   - EICAR as plain text, as a base64 attachment and inside a zip
#     attachment, and the custom test pattern: the client sees 554 5.7.1
#     naming the signature, on the inbound port and on submissions
#     (authenticated); nothing is queued and nothing is delivered;
#   - clean mail passes on both ports and carries our X-Virus-Scanned
#     header; a forged X-Virus-Scanned from the sender is replaced.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/6x-scan-lib.sh"

scan_setup_account || fail "setup" "cannot create the test account"

for port in inbound submissions; do
	for kind in plain base64 zip custom; do
		token=infected-$port-$kind-$$-$RANDOM
		scan_make "$kind" "$token" "$SCAN_TMP/m.eml"
		out=$(scan_send "$port" "$SCAN_TMP/m.eml")
		reply=$(printf '%s\n' "$out" | scan_data_reply)
		case $kind in
		custom) sig=Casier.Test.Custom ;;
		*) sig=Casier.Test.EICAR ;;
		esac
		case $reply in
		"554 5.7.1 Virus found: $sig"*) pass "$port $kind: refused with 554 5.7.1 naming $sig" ;;
		*) fail "$port $kind: refused with 554 5.7.1" "got '$reply'" ;;
		esac
	done
done
# Refused mail leaves nothing behind: give the queue manager a moment in
# case something had been accepted after all.
sleep 2
if scan_queue_empty; then
	pass "nothing queued after the refusals"
else
	fail "nothing queued after the refusals" "$(postqueue -c "$POSTFIX_DIR" -p | head -5)"
fi
n=$(scan_delivered_count "infected-")
if [ "$n" = 0 ]; then
	pass "nothing infected delivered (mailbox and catcher)"
else
	fail "nothing infected delivered" "$n files contain an infected token"
fi

# Clean mail: inbound to the mailbox, submissions to the mailbox and to a
# remote address (the catcher).
for port in inbound submissions; do
	token=clean-$port-$$-$RANDOM
	scan_make clean "$token" "$SCAN_TMP/m.eml"
	reply=$(scan_send "$port" "$SCAN_TMP/m.eml" | scan_data_reply)
	case $reply in
	"250 "*) pass "$port clean: accepted" ;;
	*) fail "$port clean: accepted" "got '$reply'" ;;
	esac
	if scan_wait_delivered "$token" 20; then
		f=$(scan_delivered_file "$token")
		if grep -q '^X-Virus-Scanned: clean (casier-milter, libclamav)' "$f"; then
			pass "$port clean: delivered with X-Virus-Scanned"
		else
			fail "$port clean: delivered with X-Virus-Scanned" "header missing in $f"
		fi
	else
		fail "$port clean: delivered" "not in $SCAN_MAILDIR after 20 s"
	fi
done

token=remote-$$-$RANDOM
scan_make clean "$token" "$SCAN_TMP/m.eml"
reply=$(scan_send submissions "$SCAN_TMP/m.eml" friend@remote.example | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "$token" 20; then
	pass "submissions clean to a remote address: relayed"
else
	fail "submissions clean to a remote address: relayed" "reply '$reply', not in the catcher"
fi
token=remote-eicar-$$-$RANDOM
scan_make zip "$token" "$SCAN_TMP/m.eml"
reply=$(scan_send submissions "$SCAN_TMP/m.eml" friend@remote.example | scan_data_reply)
sleep 1
if [ "${reply:0:9}" = "554 5.7.1" ] && [ "$(scan_delivered_count "$token")" = 0 ]; then
	pass "submissions zip EICAR to a remote address: refused, not relayed"
else
	fail "submissions zip EICAR to a remote address: refused" "reply '$reply'"
fi

token=forged-$$-$RANDOM
scan_make forged-header "$token" "$SCAN_TMP/m.eml"
reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "$token" 20; then
	f=$(scan_delivered_file "$token")
	if grep -q 'forged by the sender' "$f"; then
		fail "forged X-Virus-Scanned removed" "still in $f"
	elif [ "$(grep -c '^X-Virus-Scanned:' "$f")" = 1 ]; then
		pass "forged X-Virus-Scanned replaced by ours"
	else
		fail "forged X-Virus-Scanned replaced by ours" "$(grep -c '^X-Virus-Scanned:' "$f") headers"
	fi
else
	fail "forged X-Virus-Scanned: delivered" "reply '$reply'"
fi

scan_finish
