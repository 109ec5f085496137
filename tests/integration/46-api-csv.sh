#!/bin/bash
# 46-api-csv.sh - CSV export of a domain's accounts and aliases
# (address, username, quota, usage) and CSV import of accounts with a dry
# run and per-line errors (all or nothing).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
dom="$n.example"
pfx="c$(printf '%s' "$n" | tail -c 10)"
api_domain "$dom" "$pfx" 5 10 || fail "setup" "domain"
pw=$(uniq_password)
csv_post() { # PATH FILE [CONTENT-TYPE]
	_curl -o "$TEST_TMP/api.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
		-H "Content-Type: ${3:-text/csv}" --data-binary "@$2" "$CASIER_WEB_URL$1" >"$TEST_TMP/api.status"
	BODY=$(cat "$TEST_TMP/api.body")
}

printf 'local_part,password,quota_mb\r\nalice,%s,5\r\nbob,password1,\r\n"ca,rol",%s\r\nalice,%s\r\ndave,%s,-3\r\n' "$pw" "$pw" "$pw" "$pw" >"$TEST_TMP/bad.csv"
csv_post "/api/v1/domains/$dom/import?dry_run=1" "$TEST_TMP/bad.csv"
assert_eq "dry run -> 200" 200 "$(api_status)"
assert_eq "dry run: 4 errors" 4 "$(jq_get .errors)"
assert_eq "dry run: per-line results" "2:true 3:false:password 4:false:local_part 5:false:local_part 6:false:quota_mb" \
	"$(jq_get '[.lines[] | "\(.line):\(.ok)\(if .ok then "" else ":" + .field end)"] | join(" ")')"
assert_eq "dry run created nothing" 0 "$(sql "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")"
csv_post "/api/v1/domains/$dom/import" "$TEST_TMP/bad.csv"
assert_eq "real run with errors -> 422" 422 "$(api_status)"
assert_eq "real run with errors: nothing created" 0 "$(sql "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")"
assert_eq "no number consumed" 1 "$(sql "SELECT next_seq FROM domain WHERE name = '$dom'")"

printf 'alice,%s,5\nbob,%s\n' "$pw" "$pw" >"$TEST_TMP/good.csv"
csv_post "/api/v1/domains/$dom/import?dry_run=true" "$TEST_TMP/good.csv"
assert_eq "good dry run: no errors" 0 "$(jq_get .errors)"
assert_eq "good dry run: nothing created" false "$(jq_get .created)"
csv_post "/api/v1/domains/$dom/import" "$TEST_TMP/good.csv"
assert_eq "import -> 201" 201 "$(api_status)"
assert_eq "import: usernames assigned" "${pfx}0001 ${pfx}0002" "$(jq_get '[.lines[].username] | join(" ")')"
assert_eq "import: quota from the file, else default" "5242880 10485760" "$(sql "SELECT string_agg(quota_bytes::text, ' ' ORDER BY username) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")"
check "imported account logs in" imaps "alice@$dom" "$pw"
assert_eq "import audited" 2 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'account.create' AND domain_name = '$dom'")"
csv_post "/api/v1/domains/$dom/import?dry_run=1" "$TEST_TMP/good.csv"
assert_eq "re-import: already exists" "already exists" "$(jq_get '.lines[0].message')"
printf 'c1,%s\nc2,%s\nc3,%s\nc4,%s\n' "$pw" "$pw" "$pw" "$pw" >"$TEST_TMP/many.csv"
csv_post "/api/v1/domains/$dom/import?dry_run=1" "$TEST_TMP/many.csv"
assert_eq "max accounts checked in the dry run" 1 "$(jq_get '[.lines[] | select(.ok == false)] | length')"
csv_post "/api/v1/domains/$dom/import" "$TEST_TMP/good.csv" "application/json"
assert_eq "import needs text/csv -> 415" 415 "$(api_status)"
printf '\n\n' >"$TEST_TMP/empty.csv"
csv_post "/api/v1/domains/$dom/import" "$TEST_TMP/empty.csv"
assert_eq "empty import -> 422" 422 "$(api_status)"
printf 'x,%s\n' "$pw" >"$TEST_TMP/one.csv"
code=$(_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/csv' --data-binary "@$TEST_TMP/one.csv" "$CASIER_WEB_URL/api/v1/domains/$dom/import")
assert_eq "import without token -> 401" 401 "$code"
ologin="csv$n"
otok=$(api_admin_token "$ologin" "$pw") || fail "setup" "admin without domains"
code=$(_curl -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $otok" -H 'Content-Type: text/csv' --data-binary "@$TEST_TMP/one.csv" "$CASIER_WEB_URL/api/v1/domains/$dom/import")
assert_eq "import into another domain -> 404" 404 "$code"
code=$(_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $otok" "$CASIER_WEB_URL/api/v1/domains/$dom/export.csv")
assert_eq "export of another domain -> 404" 404 "$code"

# export
api PUT "/api/v1/accounts/${pfx}0001/redirect" '{"targets":["far@remote.example"],"keep_copy":true}' >/dev/null
api POST "/api/v1/domains/$dom/aliases" "{\"local_part\":\"team\",\"targets\":[\"${pfx}0001\",\"x@remote.example\"]}" >/dev/null
sql "INSERT INTO quota_usage (username, bytes, messages) VALUES ('${pfx}0002', 4096, 1) ON CONFLICT (username) DO UPDATE SET bytes = 4096" >/dev/null
_curl -D "$TEST_TMP/h" -o "$TEST_TMP/export.csv" -H "Authorization: Bearer $CASIER_API_TOKEN" "$CASIER_WEB_URL/api/v1/domains/$dom/export.csv"
assert_contains "export content type" "$(cat "$TEST_TMP/h")" "text/csv"
assert_contains "export is an attachment" "$(tr -d '\r' <"$TEST_TMP/h")" 'Content-Disposition: attachment; filename="casier-export.csv"'
assert_eq "export content" "type,address,username,quota_kb,usage_kb,targets
account,alice@$dom,${pfx}0001,5120,0,far@remote.example
account,bob@$dom,${pfx}0002,10240,4,
alias,team@$dom,,,,${pfx}0001 x@remote.example" "$(tr -d '\r' <"$TEST_TMP/export.csv")"
code=$(_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CASIER_API_TOKEN" "$CASIER_WEB_URL/api/v1/domains/nope-$dom/export.csv")
assert_eq "export of an unknown domain -> 404" 404 "$code"
finish
