#!/bin/bash
# 61-scan-reload.sh - signature reloads under load lose nothing.
#   - 200 clean messages from 4 parallel clients while the signature
#     directory changes (reload on mtime poll) and the milter gets SIGHUP:
#     every message is accepted with 250 and delivered exactly once;
#   - the milter processes are the same before and after (no restart);
#   - the new signature is in force after the reload;
#   - a broken signature file makes the reload fail: the old engine stays
#     (EICAR still refused, clean mail still delivered) and it is logged.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/6x-scan-lib.sh"

scan_setup_account || fail "setup" "cannot create the test account"
sigdir=$CASIER_RUN_DIR/scan/signatures
run=$$-$RANDOM
pattern=CASIER-RELOAD-PATTERN-$run
hex=$(printf '%s' "$pattern" | od -An -tx1 | tr -d ' \n')
pids_before=$(scan_pids)
reloads_before=$(grep -c 'signatures reloaded' "$SCAN_LOG")
rm -f "$sigdir"/reload-*.ndb "$sigdir"/broken.ndb

# 4 clients x 50 messages, one connection per message.
client() {
	local w=$1 i token
	for i in $(seq 1 50); do
		token=reload-$run-$w-$i
		scan_make clean "$token" "$SCAN_TMP/c$w.eml"
		printf '%s %s\n' "$token" "$(scan_send inbound "$SCAN_TMP/c$w.eml" | scan_data_reply)"
	done >"$SCAN_TMP/replies.$w"
}
for w in 1 2 3 4; do client "$w" & done
# During the load: a new signature file (picked up by the mtime poll),
# then an explicit SIGHUP to the supervisor.
sleep 2
printf 'Casier.Test.Reload%s:0:*:%s\n' "${run//-/}" "$hex" >"$sigdir/reload-$run.ndb.tmp"
mv "$sigdir/reload-$run.ndb.tmp" "$sigdir/reload-$run.ndb"
sleep 4
kill -HUP "$(cat "$SCAN_PIDFILE")"
wait

ok=$(cat "$SCAN_TMP"/replies.* | grep -c ' 250 ')
total=$(cat "$SCAN_TMP"/replies.* | wc -l)
if [ "$total" = 200 ] && [ "$ok" = 200 ]; then
	pass "200 messages during reloads: all accepted (250)"
else
	fail "200 messages during reloads: all accepted" "$ok of $total got 250: $(grep -v ' 250 ' "$SCAN_TMP"/replies.* | head -3)"
fi
for i in $(seq 1 60); do
	n=$(scan_delivered_count "reload-$run-")
	[ "$n" -ge 200 ] && break
	sleep 1
done
dups=$(scan_mail_files | xargs -r grep -h --fixed-strings -- "Subject: scan test clean reload-$run-" |
	sort | uniq -d | wc -l)
if [ "$n" = 200 ] && [ "$dups" = 0 ]; then
	pass "200 messages during reloads: each delivered exactly once"
else
	fail "200 messages during reloads: each delivered exactly once" "$n files, $dups duplicated subjects"
fi
reloads=$(($(grep -c 'signatures reloaded' "$SCAN_LOG") - reloads_before))
if [ "$reloads" -ge 2 ] && grep -q 'signatures reloaded (files changed)' "$SCAN_LOG" &&
	grep -q 'signatures reloaded (signal)' "$SCAN_LOG"; then
	pass "reloaded on file change and on SIGHUP ($reloads reloads)"
else
	fail "reloaded on file change and on SIGHUP" "$reloads reloads logged"
fi
if [ "$(scan_pids)" = "$pids_before" ]; then
	pass "milter processes unchanged by the reloads"
else
	fail "milter processes unchanged by the reloads" "before '$pids_before' after '$(scan_pids)'"
fi

# The new signature is in force.
printf 'From: bob@example.org\r\nTo: alice@scan.test\r\nSubject: new sig %s\r\n\r\nxx %s yy\r\n' \
	"$run" "$pattern" >"$SCAN_TMP/new.eml"
reply=$(scan_send inbound "$SCAN_TMP/new.eml" | scan_data_reply)
case $reply in
"554 5.7.1 Virus found: Casier.Test.Reload"*) pass "new signature refused after the reload" ;;
*) fail "new signature refused after the reload" "got '$reply'" ;;
esac

# A broken file: the reload fails, the old engine keeps working.
failed_before=$(grep -c 'reload (files changed) failed' "$SCAN_LOG")
printf 'this is not a signature line\n' >"$sigdir/broken.ndb"
for i in $(seq 1 50); do
	[ "$(grep -c 'reload (files changed) failed' "$SCAN_LOG")" -gt "$failed_before" ] && break
	sleep 0.2
done
if [ "$(grep -c 'reload (files changed) failed' "$SCAN_LOG")" -gt "$failed_before" ]; then
	pass "broken signature file: reload failure logged"
else
	fail "broken signature file: reload failure logged" "nothing in $SCAN_LOG after 10 s"
fi
scan_make zip "broken-eicar-$run" "$SCAN_TMP/m.eml"
reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
[ "${reply:0:9}" = "554 5.7.1" ] && pass "broken reload: old engine still refuses EICAR" ||
	fail "broken reload: old engine still refuses EICAR" "got '$reply'"
reply=$(scan_send inbound "$SCAN_TMP/new.eml" | scan_data_reply)
[ "${reply:0:9}" = "554 5.7.1" ] && pass "broken reload: old engine keeps the new signature" ||
	fail "broken reload: old engine keeps the new signature" "got '$reply'"
scan_make clean "broken-clean-$run" "$SCAN_TMP/m.eml"
reply=$(scan_send inbound "$SCAN_TMP/m.eml" | scan_data_reply)
if [ "${reply:0:3}" = 250 ] && scan_wait_delivered "broken-clean-$run" 20; then
	pass "broken reload: clean mail still delivered"
else
	fail "broken reload: clean mail still delivered" "got '$reply'"
fi
rm -f "$sigdir/broken.ndb" "$sigdir/reload-$run.ndb"
kill -HUP "$(cat "$SCAN_PIDFILE")"
scan_finish
