#!/bin/bash
# 45-api-hostile.sh - hostile input to the JSON API changes nothing and
# the daemon keeps serving: script payloads stored and returned verbatim
# as JSON strings, SQL metacharacters stored literally, invalid UTF-8,
# NUL, overlong values, oversized bodies (413), wrong content type (415),
# malformed JSON (400), header and path abuse.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
dom="$n.example"
pfx="h$(printf '%s' "$n" | tail -c 10)"
api_domain "$dom" "$pfx" 10 10 || fail "setup" "domain"
pw=$(uniq_password)
BODY=$(api POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"victim\",\"password\":\"$pw\"}")
u=$(jq_get .username)
snapshot() { sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (SELECT a::text t FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom' UNION ALL SELECT l::text FROM alias l JOIN domain d ON d.id = l.domain_id WHERE d.name = '$dom' UNION ALL SELECT d::text FROM domain d WHERE d.name = '$dom') x"; }
before=$(snapshot)
audit_before=$(sql "SELECT count(*) FROM audit_log")

# malformed or refused bodies
expect "malformed JSON -> 400" 400 POST "/api/v1/domains/$dom/accounts" '{"local_part":"x",'
assert_eq "400 error shape" "bad_request" "$(jq_get .error.code)"
expect "JSON array -> 400" 400 POST "/api/v1/domains/$dom/accounts" '["x"]'
expect "duplicate keys -> 400" 400 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"x\",\"local_part\":\"y\",\"password\":\"$pw\"}"
BODY=$(api_as "$CASIER_API_TOKEN" POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"x\",\"password\":\"$pw\"}" "text/plain")
assert_eq "text/plain -> 415" 415 "$(api_status)"
BODY=$(api_as "$CASIER_API_TOKEN" POST "/api/v1/domains/$dom/accounts" "local_part=x&password=$pw" "application/x-www-form-urlencoded")
assert_eq "form body -> 415" 415 "$(api_status)"
BODY=$(api_as "$CASIER_API_TOKEN" POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"x\",\"password\":\"$pw\"}" "Application/JSON; charset=utf-8")
assert_eq "media type is case-insensitive, parameters allowed" 201 "$(api_status)"
api DELETE "/api/v1/accounts/x@$dom" >/dev/null
before=$(snapshot)
audit_before=$(sql "SELECT count(*) FROM audit_log")

printf '{"local_part":"bad\xc3\x28utf8","password":"%s"}' "$pw" >"$TEST_TMP/utf8.json"
BODY=$(api POST "/api/v1/domains/$dom/accounts" "@$TEST_TMP/utf8.json")
assert_eq "invalid UTF-8 -> 400" 400 "$(api_status)"
printf '{"local_part":"nul\x00byte","password":"%s"}' "$pw" >"$TEST_TMP/nul.json"
BODY=$(api POST "/api/v1/domains/$dom/accounts" "@$TEST_TMP/nul.json")
assert_eq "raw NUL byte -> 400" 400 "$(api_status)"
expect "escaped NUL -> 400" 400 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"nul\\u0000x\",\"password\":\"$pw\"}"
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect "overlong string -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"$long\",\"password\":\"$pw\"}"
expect "65-byte local part -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"$(head -c 65 /dev/zero | tr '\0' b)\",\"password\":\"$pw\"}"
expect "overlong password -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"longpw\",\"password\":\"A1$(head -c 300 /dev/zero | tr '\0' c)\"}"
expect "huge quota -> 422" 422 PATCH "/api/v1/accounts/$u" '{"quota_mb":9223372036854775807}'
expect "integer overflow -> 400" 400 PATCH "/api/v1/accounts/$u" '{"quota_mb":99999999999999999999999}'
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TEST_TMP/big.json"
printf '{}' >>"$TEST_TMP/big.json"
BODY=$(api POST "/api/v1/domains/$dom/accounts" "@$TEST_TMP/big.json")
assert_eq "oversized body -> 413" 413 "$(api_status)"
assert_eq "413 is a JSON error" "too_large" "$(jq_get .error.code)"
# chunked upload without Content-Length
code=$(head -c 2000000 /dev/zero | tr '\0' ' ' | _curl -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- "$CASIER_WEB_URL/api/v1/domains/$dom/accounts")
assert_eq "oversized chunked body -> 413" 413 "$code"
assert_eq "refused bodies changed nothing" "$before" "$(snapshot)"
assert_eq "refused bodies wrote no audit rows" "$audit_before" "$(sql "SELECT count(*) FROM audit_log")"

# script payloads and SQL metacharacters: refused where the syntax forbids
# them, stored literally and returned verbatim as JSON where allowed
expect "script in local part -> 422" 422 POST "/api/v1/domains/$dom/aliases" '{"local_part":"<script>alert(1)</script>","targets":[]}'
expect "SQL in local part -> 422" 422 POST "/api/v1/domains/$dom/aliases" "{\"local_part\":\"x'; DROP TABLE account; --\",\"targets\":[]}"
expect "script in target -> 422" 422 POST "/api/v1/domains/$dom/aliases" '{"local_part":"xss","targets":["<img src=x onerror=alert(1)>@evil.example"]}'
sqlish="o'brien\"--{}|%_"
expect "dot-atom with SQL metacharacters stored" 201 POST "/api/v1/domains/$dom/aliases" "{\"local_part\":\"o'brien--{}|%_\",\"targets\":[\"a'b@remote.example\"]}"
assert_eq "returned verbatim" "o'brien--{}|%_" "$(jq_get .local_part)"
assert_eq "stored literally" "o'brien--{}|%_|{a'b@remote.example}" "$(sql "SELECT l.local_part || '|' || l.targets::text FROM alias l JOIN domain d ON d.id = l.domain_id WHERE d.name = '$dom' AND l.local_part LIKE 'o''brien%'")"
expect "search with quote and %" 200 GET "/api/v1/domains/$dom/aliases?q=o%27brien--%7B%7D%7C%25_"
assert_eq "search finds it literally" "1" "$(jq_get '.items | length')"
expect "search with invalid UTF-8 -> 400" 400 GET "/api/v1/domains/$dom/accounts?q=%C3%28"
assert_eq "invalid UTF-8 search: field" "q" "$(jq_get .error.field)"
expect "search % alone matches nothing extra" 200 GET "/api/v1/domains/$dom/accounts?q=%25"
assert_eq "search % literal" "0" "$(jq_get '.items | length')"
name="<script>alert('x')</script> & \"quotes\""
expect "script payload in a token name stored" 201 POST "/api/v1/admins/$CASIER_SUPERUSER/tokens" "$(jq -nc --arg n "$name" '{name:$n}')"
BODY=$(api GET /api/v1/tokens)
assert_eq "script payload returned verbatim in JSON" "$name" "$(printf '%s' "$BODY" | jq -r --arg n "$name" '[.items[] | select(.name == $n) | .name][0]')"
ctype=$(_curl -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $CASIER_API_TOKEN" "$CASIER_WEB_URL/api/v1/tokens")
assert_eq "JSON content type" "application/json" "$ctype"
hdrs=$(_curl -D - -o /dev/null -H "Authorization: Bearer $CASIER_API_TOKEN" "$CASIER_WEB_URL/api/v1/tokens")
assert_contains "nosniff on every response" "$hdrs" "X-Content-Type-Options: nosniff"
assert_contains "CSP on every response" "$hdrs" "frame-ancestors 'none'"
assert_not_contains "CSP without unsafe-inline" "$hdrs" "unsafe-inline"

# paths, methods, headers
before2=$(snapshot)
expect "unknown API path -> 404 JSON" 404 GET /api/v1/nothing
assert_eq "404 error shape" "not_found" "$(jq_get .error.code)"
expect "wrong method -> 405" 405 PATCH /api/v1/domains
expect "path traversal" 404 GET "/api/v1/accounts/..%2F..%2Fetc%2Fpasswd"
expect "SQL in path" 404 GET "/api/v1/accounts/x'%20OR%20'1'='1"
expect "NUL in path -> 400" 400 GET "/api/v1/accounts/$u%00x"
expect "overlong path segment" 404 GET "/api/v1/accounts/$(head -c 3000 /dev/zero | tr '\0' a)"
expect "bad UTF-8 in path -> 400" 400 GET "/api/v1/domains/%C3%28.example"
expect "bad UTF-8 in an account path -> 400" 400 GET "/api/v1/accounts/%C3%28"
expect "bad UTF-8 in an admin path -> 400" 400 DELETE "/api/v1/admins/%C0%AF"
code=$(_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CASIER_API_TOKEN" -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$CASIER_WEB_URL/api/v1/domains")
case $code in 4*) pass "oversized header -> 4xx ($code)" ;; *) fail "oversized header -> 4xx" "got $code" ;; esac
code=$(_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(head -c 5000 /dev/zero | tr '\0' a)" "$CASIER_WEB_URL/api/v1/domains")
assert_eq "overlong token -> 401" 401 "$code"
assert_eq "path and header abuse changed nothing" "$before2" "$(snapshot)"
check "daemon still serves" mgmtd_alive
check "plain HTTP on loopback serves too" _curl -f -o /dev/null -H "Authorization: Bearer $CASIER_API_TOKEN" "http://127.0.0.1:$CASIER_HTTP_PORT/api/v1/domains"
finish
