#!/bin/bash
# 73-policy-api.sh - the web manager's API for outbound limits and relay
# clients (issue 6, DESIGN section 9 "Contract details"):
#   - send_limit_per_hour on PATCH account is what casier-policyd applies;
#   - bulk requests: a domain admin files one, sees only its domain's,
#     may not approve (403); the superuser approves with another limit,
#     which raises the account's limit for the period (real submissions);
#     a decided request cannot be decided again (409); bad fields -> 422;
#   - relay clients: superuser CRUD, contacts with roles, 403 for a domain
#     admin, 422 for a network with host bits, 409 for a duplicate name;
#     the report (JSON and CSV) equals what the relay client sent.
# Needs run/stack.env and a running casier-mgmtd.  Prints PASS:/FAIL: lines.
set -u
: "${CASIER_PGHOST:?source run/stack.env}"
. "$(dirname "$0")/70-policy-lib.inc"
[ -n "${CASIER_API_TOKEN:-}" ] || { fail "setup" "no CASIER_API_TOKEN"; finish; }
last() { tail -n 1; }
body() { sed '$d'; }

dom=pa$$.example.com
pfx=pa$(printf '%05d' $(($$ % 100000)) | tr 0-9 a-j)
pw='Tr4vel-Blue-92'
api POST /api/v1/domains "{\"name\":\"$dom\",\"prefix\":\"$pfx\",\"max_accounts\":5,\"default_quota_mb\":10,\"contact\":\"boss@$dom\"}" >/dev/null ||
	{ fail "setup" "domain not created"; finish; }
out=$(api POST /api/v1/domains/$dom/accounts "{\"local_part\":\"bulk\",\"password\":\"$pw\"}")
user=$(echo "$out" | sed -n 's/.*"username": *"\([a-z0-9]*\)".*/\1/p' | head -n 1)
api POST /api/v1/domains/$dom/accounts "{\"local_part\":\"boss\",\"password\":\"$pw\"}" >/dev/null
adm=adm$$
api POST /api/v1/admins "{\"login\":\"$adm\",\"password\":\"$pw\",\"domains\":[\"$dom\"]}" >/dev/null
tok=$(api POST /api/v1/tokens "{\"login\":\"$adm\",\"password\":\"$pw\"}" | body | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[ -n "$user" ] && [ -n "$tok" ] || { fail "setup" "account or admin token missing"; finish; }

out=$(api PATCH /api/v1/accounts/$user '{"send_limit_per_hour":1}')
echo "$out" | grep -q '"send_limit_per_hour": *1' && pass "PATCH account send_limit_per_hour" || fail "patch limit" "$out"

# Bulk request by the domain admin.
start=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
out=$(api POST /api/v1/accounts/$user/bulk-requests "{\"justification\":\"newsletter\",\"limit_per_hour\":10,\"start\":\"$start\",\"end\":\"$end\"}" "$tok")
code=$(echo "$out" | last)
rid=$(echo "$out" | body | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -n 1)
[ "$code" = 201 ] && [ -n "$rid" ] && echo "$out" | grep -q '"status": *"pending"' &&
	pass "domain admin files a bulk request (201, pending)" || fail "bulk create" "$out"
out=$(api POST /api/v1/accounts/$user/bulk-requests "{\"justification\":\"x\",\"limit_per_hour\":10,\"start\":\"$end\",\"end\":\"$start\"}" "$tok")
[ "$(echo "$out" | last)" = 422 ] && echo "$out" | grep -q '"field": *"end"' &&
	pass "end before start -> 422 field end" || fail "bulk 422" "$out"
out=$(api POST /api/v1/accounts/$user/bulk-requests "{\"justification\":\"x\",\"limit_per_hour\":10,\"start\":\"yesterday\",\"end\":\"$end\"}" "$tok")
[ "$(echo "$out" | last)" = 422 ] && pass "a bad date -> 422" || fail "bulk bad date" "$out"
out=$(api GET "/api/v1/bulk-requests?status=pending" "" "$tok")
echo "$out" | grep -q "\"id\": *$rid" && pass "the domain admin lists its requests" || fail "bulk list" "$out"
out=$(api POST /api/v1/bulk-requests/$rid/approve '{}' "$tok")
[ "$(echo "$out" | last)" = 403 ] && pass "a domain admin cannot approve (403)" || fail "approve 403" "$out"

# Before approval the limit is 1: a 2-recipient message blocks.  Use a
# second account for that so this one stays usable.
out=$(api POST /api/v1/bulk-requests/$rid/approve '{"limit_per_hour":3}')
echo "$out" | grep -q '"approved_limit": *3' && echo "$out" | grep -q '"status": *"approved"' &&
	pass "superuser approves with another limit" || fail "approve" "$out"
out=$(api POST /api/v1/bulk-requests/$rid/reject)
[ "$(echo "$out" | last)" = 409 ] && pass "a decided request cannot be decided again (409)" || fail "decide twice" "$out"
tag=bulk$$
ok=1
for i in 1 2 3; do
	submit "$user" "$pw" "bulk@$dom" "b$i.$tag@test.example" "$tag-$i" >/dev/null || ok=0
done
[ $ok = 1 ] && pass "approved bulk request raises the limit from 1 to 3 (3 messages sent)" ||
	fail "bulk effect" "a message within the approved limit was refused"
out=$(submit "$user" "$pw" "bulk@$dom" "b4.$tag@test.example" "$tag-4")
echo "$out" | grep -q '554 5.7.1' && pass "the approved limit is still a limit (4th refused)" ||
	fail "bulk limit" "$(echo "$out" | grep -E '^ *<' | tail -n 2)"
out=$(api GET /api/v1/accounts/$user/report?format=csv)
echo "$out" | grep -q "^day,$(date -u +%F),3,3," && pass "account report CSV: 3 messages today" ||
	fail "account csv" "$out"
api POST /api/v1/accounts/$user/unblock "" "$tok" >/dev/null &&
	pass "the domain admin unblocks its account" || fail "unblock by domain admin" "refused"

# Relay clients.
name=api-app-$$
out=$(api POST /api/v1/relay-clients "{\"name\":\"$name\",\"entity\":\"Ent\",\"kind\":\"customer_mta\",\"networks\":[\"127.0.0.2/32\",\"2001:db8:1::/48\"],\"sender_domains\":[\"Api$$.Example.org\"],\"send_limit_per_hour\":100}")
cid=$(echo "$out" | body | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -n 1)
[ "$(echo "$out" | last)" = 201 ] && echo "$out" | grep -q "\"api$$.example.org\"" && echo "$out" | grep -q '"spf_record": *"v=spf1' &&
	pass "superuser creates a relay client (sender domain normalised, SPF record shown)" || fail "relay create" "$out"
out=$(api POST /api/v1/relay-clients "{\"name\":\"$name\",\"entity\":\"Ent\",\"kind\":\"customer_mta\",\"networks\":[\"127.0.0.9\"],\"sender_domains\":[\"x.example\"]}")
[ "$(echo "$out" | last)" = 409 ] && pass "duplicate relay client name -> 409" || fail "relay 409" "$out"
out=$(api POST /api/v1/relay-clients "{\"name\":\"x$name\",\"entity\":\"Ent\",\"kind\":\"application\",\"networks\":[\"10.1.2.3/8\"],\"sender_domains\":[\"x.example\"]}")
[ "$(echo "$out" | last)" = 422 ] && echo "$out" | grep -q '"field": *"networks"' &&
	pass "a network with host bits -> 422" || fail "relay 422" "$out"
out=$(api GET /api/v1/relay-clients "" "$tok")
[ "$(echo "$out" | last)" = 403 ] && pass "a domain admin may not list relay clients (403)" || fail "relay 403" "$out"
out=$(api POST /api/v1/relay-clients/$cid/contacts '{"name":"R","email":"resp@client.example","role":"responsible"}')
out2=$(api POST /api/v1/relay-clients/$cid/contacts '{"email":"mgr@client.example","role":"manager"}')
out3=$(api POST /api/v1/relay-clients/$cid/contacts '{"email":"x@client.example","role":"boss"}')
echo "$out2" | grep -q '"role": *"responsible"' && echo "$out2" | grep -q '"role": *"manager"' &&
	[ "$(echo "$out3" | last)" = 422 ] && pass "contacts with roles (responsible, manager; other role 422)" ||
	fail "contacts" "$out2 / $out3"
# unknown ids: 404 from the row count, not from a leftover result code
out=$(api POST /api/v1/relay-clients/999999999/contacts '{"email":"y@client.example","role":"manager"}')
[ "$(echo "$out" | last)" = 404 ] && pass "a contact for an unknown relay client -> 404" || fail "contact 404" "$out"
out=$(api POST /api/v1/bulk-requests/999999999/approve '{"limit_per_hour":2}')
out2=$(api POST /api/v1/bulk-requests/999999999/reject)
[ "$(echo "$out" | last)" = 404 ] && [ "$(echo "$out2" | last)" = 404 ] &&
	pass "deciding an unknown bulk request -> 404" || fail "bulk 404" "$out / $out2"
out=$(smtp_in "app@api$$.example.org" "r.$tag@test.example" "$tag-relay" 127.0.0.2)
[ $? -eq 0 ] && pass "the relay client created through the API relays" || fail "api relay" "$(echo "$out" | tail -n 3)"
out=$(api GET /api/v1/relay-clients/$cid/report)
echo "$out" | grep -q "\"day\": *\"$(date -u +%F)\", *\"messages\": *1" && pass "relay report JSON counts the message" ||
	fail "relay report" "$out"
out=$(api GET "/api/v1/relay-clients/$cid/report?format=csv")
echo "$out" | grep -q "^month,$(date -u +%Y-%m-01),1,1," && pass "relay report CSV monthly row" || fail "relay csv" "$out"
out=$(api PATCH /api/v1/relay-clients/$cid '{"sender_domains":["other.example"],"active":true}')
echo "$out" | grep -q '"other.example"' && pass "PATCH replaces the sender domains" || fail "relay patch" "$out"
out=$(smtp_in "app@api$$.example.org" "r2.$tag@test.example" "$tag-relay2" 127.0.0.2)
[ $? -ne 0 ] && pass "the old sender domain no longer relays" || fail "patched relay" "still relayed"
# Requests from the security list (seeds/003): a manager may ask for
# changes, only a responsible for contact changes; the superuser decides.
rq() { api POST /api/v1/relay-client-requests "$1" "${2:-}"; }
rid() { body | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -n 1; }
out=$(rq "{\"requested_by\":\"mgr@client.example\",\"kind\":\"change\",\"relay_client_id\":$cid,\"networks\":[\"127.0.0.2/32\",\"127.0.0.3/32\"]}" "$tok")
r1=$(echo "$out" | rid)
[ "$(echo "$out" | last)" = 201 ] && echo "$out" | grep -q '"status": *"pending"' &&
	pass "a manager files a change request (201)" || fail "request change" "$out"
out=$(rq "{\"requested_by\":\"stranger@client.example\",\"kind\":\"change\",\"relay_client_id\":$cid,\"name\":\"x\"}")
[ "$(echo "$out" | last)" = 422 ] && echo "$out" | grep -q '"field": *"requested_by"' &&
	pass "a requester outside the security list -> 422" || fail "request stranger" "$out"
out=$(rq "{\"requested_by\":\"mgr@client.example\",\"kind\":\"contacts\",\"relay_client_id\":$cid,\"contact_action\":\"add\",\"contact_email\":\"new@client.example\",\"contact_role\":\"manager\"}")
[ "$(echo "$out" | last)" = 422 ] && pass "a manager may not change the contact list (422)" || fail "request mgr contacts" "$out"
out=$(rq "{\"requested_by\":\"resp@client.example\",\"kind\":\"contacts\",\"relay_client_id\":$cid,\"contact_action\":\"add\",\"contact_email\":\"new@client.example\",\"contact_role\":\"manager\"}")
r2=$(echo "$out" | rid)
[ "$(echo "$out" | last)" = 201 ] && pass "a responsible files a contact change" || fail "request resp contacts" "$out"
out=$(rq "{\"requested_by\":\"mgr@client.example\",\"kind\":\"add\",\"name\":\"new-$name\",\"entity\":\"Ent\",\"networks\":[\"192.0.2.0/24\"],\"sender_domains\":[\"new$$.example.org\"]}")
r3=$(echo "$out" | rid)
[ "$(echo "$out" | last)" = 201 ] && pass "a contact of the entity asks for a new application" || fail "request add" "$out"
out=$(api GET "/api/v1/relay-client-requests?status=pending" "" "$tok")
[ "$(echo "$out" | last)" = 403 ] && pass "only the superuser lists requests (403)" || fail "request list 403" "$out"
out=$(api POST /api/v1/relay-client-requests/$r1/approve)
out2=$(api GET /api/v1/relay-clients/$cid)
echo "$out" | grep -q '"status": *"approved"' && echo "$out2" | grep -q '"127.0.0.3/32"' &&
	pass "approving the change applies it (networks)" || fail "approve change" "$out $out2"
[ "$(api POST /api/v1/relay-client-requests/$r1/reject | last)" = 409 ] && pass "a decided request -> 409" || fail "request 409" ""
api POST /api/v1/relay-client-requests/$r2/approve >/dev/null
api GET /api/v1/relay-clients/$cid | grep -q '"new@client.example"' && pass "approving the contact change adds the contact" ||
	fail "approve contacts" ""
api POST /api/v1/relay-client-requests/$r3/approve >/dev/null
out=$(api GET "/api/v1/relay-clients?q=new-$name")
echo "$out" | grep -q '"responsible"' && echo "$out" | grep -q "new$$.example.org" &&
	pass "approving the new application creates it with the requester as responsible" || fail "approve add" "$out"
api DELETE /api/v1/relay-clients/$cid/contacts/mgr@client.example >/dev/null && pass "contact removed" || fail "contact delete" ""
api DELETE /api/v1/relay-clients/$cid >/dev/null && [ "$(api GET /api/v1/relay-clients/$cid | last)" = 404 ] &&
	pass "relay client deleted (then 404)" || fail "relay delete" ""
# Pages: the account's outbound page (chart, unblock button with CSRF),
# its CSV, and the relay-client list for the superuser.
jar=$(mktemp /tmp/casier-73.XXXXXX)
W=(-s --max-time 20 --cacert "$CASIER_TLS_CA" -b "$jar" -c "$jar")
csrf=$(curl "${W[@]}" "$CASIER_WEB_URL/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
curl "${W[@]}" -o /dev/null --data-urlencode "csrf_token=$csrf" --data-urlencode "login=$adm" \
	--data-urlencode "password=$pw" "$CASIER_WEB_URL/login"
sql "UPDATE account SET outbound_blocked_until = now() + interval '1 day', outbound_block_reason = 'test 73' WHERE username = '$user'" >/dev/null
page=$(curl "${W[@]}" "$CASIER_WEB_URL/accounts/$user/outbound")
if echo "$page" | grep -q '<svg' && echo "$page" | grep -q 'id="unblock"' && echo "$page" | grep -q 'test 73'; then
	pass "outbound page: SVG chart, block reason and unblock button"
else
	fail "outbound page" "$(echo "$page" | head -c 300)"
fi
csrf=$(echo "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$csrf" "$CASIER_WEB_URL/accounts/$user/unblock")
st=$(sql "SELECT outbound_blocked_until IS NULL FROM account WHERE username = '$user'")
[ "$code" = 303 ] && [ "$st" = t ] && pass "the unblock button unblocks (303)" || fail "page unblock" "code $code, unblocked=$st"
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' "$CASIER_WEB_URL/accounts/$user/unblock" -d 'csrf_token=wrong')
[ "$code" = 403 ] || [ "$code" = 400 ] && pass "unblock without a valid CSRF token is refused ($code)" || fail "csrf" "$code"
curl "${W[@]}" "$CASIER_WEB_URL/accounts/$user/report.csv" | grep -q "^day,$(date -u +%F),3,3," &&
	pass "report CSV from the page" || fail "page csv" ""
hdr=$(curl "${W[@]}" -o /dev/null -D - "$CASIER_WEB_URL/accounts/$user/report.csv" | tr -d '\r')
hdr2=$(curl -s --cacert "$CASIER_TLS_CA" -o /dev/null -D - -H "Authorization: Bearer $CASIER_API_TOKEN" \
	"$CASIER_WEB_URL/api/v1/accounts/$user/report?format=csv" | tr -d '\r')
echo "$hdr" | grep -qi '^content-disposition: attachment; filename=' &&
	echo "$hdr2" | grep -qi '^content-disposition: attachment; filename="account-report.csv"' &&
	pass "report CSV (page and API) is an attachment" || fail "report csv attachment" "$hdr / $hdr2"
# Bulk request through the pages: the domain admin files, the superuser
# approves with another limit.
page=$(curl "${W[@]}" "$CASIER_WEB_URL/accounts/$user/outbound")
csrf=$(echo "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$csrf" \
	--data-urlencode "justification=page $$" --data-urlencode "limit_per_hour=7" \
	--data-urlencode "start=$(date -u +%F)" --data-urlencode "end=$(date -u -d '+2 days' +%F)" \
	"$CASIER_WEB_URL/accounts/$user/bulk-requests")
prid=$(sql "SELECT id FROM bulk_request WHERE justification = 'page $$' AND status = 'pending'")
[ "$code" = 303 ] && [ -n "$prid" ] && pass "bulk request filed through the page (303)" || fail "page bulk" "code $code"
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$csrf" \
	--data-urlencode "justification=bad" --data-urlencode "limit_per_hour=7" \
	--data-urlencode "start=$(date -u +%F)" --data-urlencode "end=2001-01-01" \
	"$CASIER_WEB_URL/accounts/$user/bulk-requests")
[ "$code" = 422 ] && pass "a bad period on the page -> 422 with the form" || fail "page bulk 422" "code $code"
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$csrf" "$CASIER_WEB_URL/bulk-requests/$prid/approve")
[ "$code" = 403 ] && pass "a domain admin cannot approve on the page (403)" || fail "page approve 403" "$code"
sjar=$(mktemp /tmp/casier-73s.XXXXXX)
S=(-s --max-time 20 --cacert "$CASIER_TLS_CA" -b "$sjar" -c "$sjar")
csrf=$(curl "${S[@]}" "$CASIER_WEB_URL/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
curl "${S[@]}" -o /dev/null --data-urlencode "csrf_token=$csrf" --data-urlencode "login=$CASIER_SUPERUSER" \
	--data-urlencode "password=$CASIER_SUPERUSER_PASSWORD" "$CASIER_WEB_URL/login"
page=$(curl "${S[@]}" "$CASIER_WEB_URL/bulk-requests?status=pending")
csrf=$(echo "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
echo "$page" | grep -q "id=\"bulk-$prid\"" && pass "the superuser sees the pending request" || fail "page bulk list" ""
code=$(curl "${S[@]}" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$csrf" \
	--data-urlencode "limit_per_hour=9" "$CASIER_WEB_URL/bulk-requests/$prid/approve")
st=$(sql "SELECT status, approved_limit FROM bulk_request WHERE id = $prid")
[ "$code" = 303 ] && [ "$st" = "approved|9" ] && pass "the superuser approves on the page with limit 9" ||
	fail "page approve" "code $code state $st"
rm -f "$sjar"
code=$(curl "${W[@]}" -o /dev/null -w '%{http_code}' "$CASIER_WEB_URL/relay-clients")
[ "$code" = 403 ] && pass "relay-client pages are for the superuser (403)" || fail "relay page 403" "$code"
rm -f "$jar"

n=$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'relay_client.%' AND (object = '$name' OR object = '$cid')")
[ "$n" -ge 3 ] && pass "relay client changes are audited ($n rows)" || fail "relay audit" "$n"
finish
