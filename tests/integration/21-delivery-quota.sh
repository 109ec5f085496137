#!/bin/bash
# 21-delivery-quota.sh - quota at RCPT (DESIGN section 4).
#   - a full mailbox: the sending client gets 452 4.2.2 at RCPT on the
#     inbound port (temporary: its server retries);
#   - a message accepted while there was room, which does not fit when it
#     is delivered, stays deferred in Postfix's queue (no bounce) and is
#     delivered once there is room again.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/2x-delivery-lib.sh"

new_domain 50 10 || { fail setup "new_domain"; finish; }
D=$DOMAIN
new_account "quota@$D" 1 || { fail setup "account"; finish; }
U=$USERNAME P=$PASSWORD
tag=$$-$RANDOM
set_usage() {
	sql "INSERT INTO quota_usage (username, bytes, messages) VALUES ('$U', $1, 1)
	     ON CONFLICT (username) DO UPDATE SET bytes = EXCLUDED.bytes" >/dev/null
}

set_usage 1048576
r=$(rcpt_reply "quota@$D")
assert_contains "full mailbox: 452 4.2.2 at RCPT on the inbound port" "$r" "452 4.2.2 "
assert_contains "full mailbox: the text says overquota" "$r" "Mailbox full: user overquota"

# Room for a tiny message only: accepted at the inbound RCPT (size not
# announced), refused by deliverd when Postfix hands it over with SIZE.
set_usage $((1048576 - 2000))
body=$(head -c 30000 /dev/zero | tr '\0' 'q')
smtp_send sender@example.org "quota@$D" --h-Subject "big $tag" --body "big-$tag $body" ||
	fail "queued while there was room" "$(swaks_reply)"
deferred=no
for _ in $(seq 1 40); do
	if grep -F "to=<quota@$D>" "$CASIER_LOG_DIR/postfix.log" | grep -q "status=deferred.*4.2.2"; then
		deferred=yes
		break
	fi
	sleep 0.5
done
assert_eq "over quota at delivery: deferred with 4.2.2" yes "$deferred"
if queue_has "quota@$D"; then
	pass "over quota at delivery: the message stays in the queue"
else
	fail "over quota at delivery: the message stays in the queue" "not in postqueue -p"
fi
if grep -F "to=<quota@$D>" "$CASIER_LOG_DIR/postfix.log" | grep -q "status=bounced"; then
	fail "over quota at delivery: not bounced" "bounced"
else
	pass "over quota at delivery: not bounced"
fi

set_usage 0
flush_auth_cache "$U" >/dev/null 2>&1 || true
postqueue -c "$POSTFIX_DIR" -f
assert_eq "room again: delivered once after the retry" 1 "$(wait_count "$U" "$P" "big-$tag" 1 30)"
finish
