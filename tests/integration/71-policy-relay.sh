#!/bin/bash
# 71-policy-relay.sh - no open relay, and relay clients (issue 6, DESIGN
# section 7), against the real inbound smtpd (+25) and casier-policyd:
#   - an unauthenticated client sending to an outside domain is refused;
#   - a relay client (127.0.0.2/32 and an IPv6 network, one sender
#     domain) relays to the catcher from 127.0.0.2 with its sender domain;
#   - the same address with another sender domain is refused, and the
#     sender domain from another address (127.0.0.3) is refused;
#   - an inactive relay client relays nothing;
#   - mail to hosted domains from anywhere is still accepted;
#   - the per-day/per-month report counts exactly the relayed messages.
# Needs run/stack.env in the environment.  Prints PASS:/FAIL: lines.
set -u
: "${CASIER_PGHOST:?source run/stack.env}"
. "$(dirname "$0")/70-policy-lib.inc"

tag=rel$$
app=app$$.example.org
dom=rl$$.example.com
pfx=rl$(printf '%05d' $(($$ % 100000)) | tr 0-9 a-j)
hash=$(doveadm pw -s ARGON2ID -p 'Tr4vel-Blue-92')
cid=$(sql "INSERT INTO relay_client (name, entity, kind) VALUES ('app-$tag', 'Entity $tag', 'application') RETURNING id")
sql "INSERT INTO relay_client_network VALUES ($cid, '127.0.0.2/32'), ($cid, '2001:db8:$(printf %x $(($$ % 65536)))::/48');
     INSERT INTO relay_client_sender_domain VALUES ($cid, '$app');
     INSERT INTO relay_client_contact (relay_client_id, name, email, role)
       VALUES ($cid, 'Resp', 'resp@$app', 'responsible'), ($cid, 'Mgr', 'mgr@$app', 'manager');
     INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes) VALUES ('$dom', '$pfx', 5, 10485760);
     SELECT account_create('$dom', 'inbox', '$hash', NULL);" >/dev/null
inbox=$(sql "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")

out=$(smtp_in "someone@elsewhere.example" "x.$tag@test.example" "$tag-open")
if [ $? -ne 0 ] && echo "$out" | grep -q '554 5.7.1'; then
	pass "unauthenticated client to an outside domain is refused (no open relay)"
else
	fail "open relay" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
out=$(smtp_in "app@$app" "x.$tag@test.example" "$tag-wrongip" 127.0.0.3)
if [ $? -ne 0 ] && echo "$out" | grep -q '554 5.7.1'; then
	pass "an allowed sender domain from another address is refused"
else
	fail "wrong address" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
out=$(smtp_in "app@$app" "y.$tag@test.example" "$tag-relayed" 127.0.0.2)
if [ $? -eq 0 ] && wait_delivered "y.$tag@test.example" "$tag-relayed"; then
	pass "relay client 127.0.0.2 with its sender domain is relayed to the catcher"
else
	fail "relay client" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
out=$(smtp_in "app@other$$.example.org" "z.$tag@test.example" "$tag-othersender" 127.0.0.2)
if [ $? -ne 0 ] && echo "$out" | grep -q '554 5.7.1'; then
	pass "relay client address with another sender domain is refused"
else
	fail "other sender domain" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
out=$(smtp_in "anyone@elsewhere.example" "inbox@$dom" "$tag-inbound")
if [ $? -eq 0 ] && wait_mailbox "$dom" "$inbox" "$tag-inbound"; then
	pass "mail to a hosted domain from an unauthorised client is still delivered"
else
	fail "inbound" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi
# Bounces to SRS addresses ([srs] domain, delivered by Postfix but not in
# the SQL tables) are left to delivery's checks, not refused as relaying.
srs=$(sed -n '/^\[srs\]/,/^\[/s/^domain *= *//p' "$CASIER_CONFIG" | head -n 1)
if [ -n "$srs" ]; then
	out=$(smtp_in "" "SRS0=abcd=ZZ=example.net=bob@$srs" "$tag-srs")
	echo "$out" | grep -q 'Relay access denied' && fail "srs" "SRS recipient refused as relaying" ||
		pass "an SRS bounce address is not refused as relaying"
fi
# A second relayed message with two outside recipients.
out=$(swaks --server "$CASIER_HOST" --port "$CASIER_SMTP_PORT" --local-interface 127.0.0.2 \
	--from "app@$app" --to "a.$tag@test.example,b.$tag@test.example" \
	--header "Subject: $tag-two" --timeout 30 2>&1)
[ $? -eq 0 ] && wait_delivered "b.$tag@test.example" "$tag-two" && pass "a relayed message with two recipients" ||
	fail "two recipients" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"

# The relay client's hourly limit (recipients): over it, a temporary
# refusal at end of data (its MTA retries later), counted as refused.
sql "UPDATE relay_client SET send_limit_per_hour = 4 WHERE id = $cid" >/dev/null
out=$(smtp_in "app@$app" "o1.$tag@test.example" "$tag-over1" 127.0.0.2)
ok1=$?
out=$(swaks --server "$CASIER_HOST" --port "$CASIER_SMTP_PORT" --local-interface 127.0.0.2 \
	--from "app@$app" --to "o2.$tag@test.example,o3.$tag@test.example" \
	--header "Subject: $tag-over2" --timeout 30 2>&1)
if [ $ok1 -eq 0 ] && echo "$out" | grep -q '450 4.7.1'; then
	pass "over its hourly limit a relay client gets 450 4.7.1 at end of data"
else
	fail "relay limit" "first=$ok1 $(echo "$out" | grep -E '^ *<' | tail -n 2)"
fi
sql "UPDATE relay_client SET send_limit_per_hour = NULL WHERE id = $cid" >/dev/null

sql "UPDATE relay_client SET active = false WHERE id = $cid" >/dev/null
out=$(smtp_in "app@$app" "w.$tag@test.example" "$tag-inactive" 127.0.0.2)
if [ $? -ne 0 ] && echo "$out" | grep -q '554 5.7.1'; then
	pass "an inactive relay client relays nothing"
else
	fail "inactive" "$(echo "$out" | grep -E '^ *<' | tail -n 3)"
fi

# Reports: 3 messages (4 recipients) relayed today, 1 refused.
rep=$(sql "SELECT messages, recipients, refused FROM relay_daily WHERE relay_client_id = $cid AND day = current_date")
[ "$rep" = "3|4|1" ] && pass "daily relay report: 3 messages, 4 recipients, 1 refused" || fail "daily report" "got '$rep', want 3|4|1"
rep=$(sql "SELECT messages, recipients FROM relay_monthly WHERE relay_client_id = $cid AND month = date_trunc('month', current_date)::date")
[ "$rep" = "3|4" ] && pass "monthly relay report matches" || fail "monthly report" "got '$rep'"
# Month-over-month trend against a seeded previous month of 4 messages.
sql "INSERT INTO relay_daily (relay_client_id, day, messages, recipients)
     VALUES ($cid, (date_trunc('month', current_date) - interval '1 day')::date, 4, 4)" >/dev/null
rep=$(sql "SELECT trend_percent FROM relay_monthly WHERE relay_client_id = $cid AND month = date_trunc('month', current_date)::date")
[ "$rep" = "-25.0" ] && pass "month-over-month trend (3 vs 4 = -25.0%)" || fail "trend" "got '$rep'"
finish
