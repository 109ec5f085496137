#!/bin/bash
# 41-api-accounts.sh - JSON API: accounts (usernames, quota units and
# usage, paging, search, password policy, max accounts, deactivation and
# deletion effective at once for logins, mail removed by the privileged
# side, 20 parallel creations).  DESIGN section 9, docs/api.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
dom="$n.example"
pfx="a$(printf '%s' "$n" | tail -c 10)"
api_domain "$dom" "$pfx" 3 25 || fail "setup" "domain"
pw=$(uniq_password)

expect "create account" 201 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"Gugus.Dupont\",\"password\":\"$pw\"}"
assert_eq "username = prefix + 0001" "${pfx}0001" "$(jq_get .username)"
assert_eq "address lower-cased" "gugus.dupont@$dom" "$(jq_get .address)"
assert_eq "quota defaults to the domain's" "25" "$(jq_get .quota_mb)"
u1=$(jq_get .username)
assert_eq "stored hash is Argon2id for Dovecot" "1" "$(sql "SELECT count(*) FROM account WHERE username = '$u1' AND password_hash LIKE '{ARGON2ID}\$argon2id\$%'")"
check "new account logs in over IMAPS (username)" imaps "$u1" "$pw"
check "new account logs in over IMAPS (address)" imaps "gugus.dupont@$dom" "$pw"
assert_eq "create audited without the hash" "0" "$(sql "SELECT count(*) FROM audit_log WHERE object = '$u1' AND after::text LIKE '%ARGON%'")"

# refused creations consume no number
expect "weak password -> 422" 422 POST "/api/v1/domains/$dom/accounts" '{"local_part":"weak","password":"password1"}'
assert_eq "weak password: field" "password" "$(jq_get .error.field)"
expect "password with the local part -> 422" 422 POST "/api/v1/domains/$dom/accounts" '{"local_part":"marcel","password":"xxmarcel42"}'
expect "password with the username -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"zz\",\"password\":\"A${pfx}00029\"}"
expect "duplicate local part -> 409" 409 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"gugus.dupont\",\"password\":\"$pw\"}"
expect "username-like local part -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"${pfx}0042\",\"password\":\"$pw\"}"
expect "bad local part -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"a b\",\"password\":\"$pw\"}"
assert_eq "bad local part: field" "local_part" "$(jq_get .error.field)"
expect "username in body (immutable) -> 422" 422 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"x1\",\"password\":\"$pw\",\"username\":\"${pfx}9999\"}"
assert_eq "immutable: field" "username" "$(jq_get .error.field)"
expect "quota_mb 1 MiB" 201 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"second\",\"password\":\"$pw\",\"quota_mb\":1}"
assert_eq "no number consumed by refusals" "${pfx}0002" "$(jq_get .username)"
u2=$(jq_get .username)
assert_eq "quota_mb is MiB" "1048576" "$(sql "SELECT quota_bytes FROM account WHERE username = '$u2'")"
expect "third account" 201 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"third\",\"password\":\"$pw\"}"
expect "max accounts -> 409" 409 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"fourth\",\"password\":\"$pw\"}"
assert_eq "max accounts: nothing created" "3" "$(sql "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$dom'")"
expect "domain shows accounts used" 200 GET "/api/v1/domains/$dom"
assert_eq "accounts used = 3" "3" "$(jq_get .accounts)"

# usage from the quota table: KiB and percent with one decimal
sql "INSERT INTO quota_usage (username, bytes, messages) VALUES ('$u2', 349525, 3) ON CONFLICT (username) DO UPDATE SET bytes = 349525, messages = 3" >/dev/null
expect "get by username" 200 GET "/api/v1/accounts/$u2"
assert_eq "usage_kb (KiB)" "341" "$(jq_get .usage_kb)"
assert_eq "usage_percent one decimal" "33.3" "$(jq_get .usage_percent)"
expect "get by address" 200 GET "/api/v1/accounts/second@$dom"
assert_eq "get by address: username" "$u2" "$(jq_get .username)"
expect "get by address with %40" 200 GET "/api/v1/accounts/second%40$dom"
expect "get username@domain" 200 GET "/api/v1/accounts/$u2@$dom"
expect "unknown account -> 404" 404 GET "/api/v1/accounts/${pfx}9999"

# list, search, cursor
expect "list" 200 GET "/api/v1/domains/$dom/accounts"
assert_eq "list: three items in username order" "${pfx}0001 ${pfx}0002 ${pfx}0003" "$(jq_get '[.items[].username] | join(" ")')"
assert_eq "list: no next page" "null" "$(jq_get .next_cursor)"
expect "list limit 2" 200 GET "/api/v1/domains/$dom/accounts?limit=2"
c=$(jq_get .next_cursor)
expect "list next page" 200 GET "/api/v1/domains/$dom/accounts?limit=2&cursor=$c"
assert_eq "second page" "${pfx}0003" "$(jq_get '[.items[].username] | join(" ")')"
expect "search by local part" 200 GET "/api/v1/domains/$dom/accounts?q=SECO"
assert_eq "search result" "$u2" "$(jq_get '[.items[].username] | join(" ")')"
expect "search by username" 200 GET "/api/v1/domains/$dom/accounts?q=${pfx}0003"
assert_eq "search username result" "${pfx}0003" "$(jq_get '[.items[].username] | join(" ")')"

# patch
expect "patch quota" 200 PATCH "/api/v1/accounts/$u2" '{"quota_mb":2}'
assert_eq "patch quota result" "2" "$(jq_get .quota_mb)"
assert_eq "usage percent follows the quota" "16.7" "$(jq_get .usage_percent)"
expect "patch username -> 422" 422 PATCH "/api/v1/accounts/$u2" '{"username":"x0001"}'
expect "patch local_part -> 422" 422 PATCH "/api/v1/accounts/$u2" '{"local_part":"other"}'
expect "patch weak password -> 422" 422 PATCH "/api/v1/accounts/$u2" '{"password":"abc"}'
pw2=$(uniq_password)
check "old password works before the change" imaps "$u1" "$pw"
expect "patch password" 200 PATCH "/api/v1/accounts/$u1" "{\"password\":\"$pw2\"}"
check_fails "old password refused at once" imaps "$u1" "$pw"
check "new password accepted" imaps "$u1" "$pw2"
assert_eq "password change audited, no hash" "changed" "$(sql "SELECT after->>'password' FROM audit_log WHERE action = 'account.update' AND object = '$u1' ORDER BY id DESC LIMIT 1")"
expect "deactivate" 200 PATCH "/api/v1/accounts/$u1" '{"active":false}'
assert_eq "deactivated" "false" "$(jq_get .active)"
check_fails "inactive account cannot log in at once" imaps "$u1" "$pw2"
expect "reactivate" 200 PATCH "/api/v1/accounts/$u1" '{"active":true}'
check "reactivated account logs in" imaps "$u1" "$pw2"

# delete: logins stop at once, mail removed by the privileged side
pw3=$(uniq_password)
expect "password for delete test" 200 PATCH "/api/v1/accounts/$u2" "{\"password\":\"$pw3\"}"
check "login before delete" imaps "second@$dom" "$pw3"
maildir="$CASIER_MAIL_ROOT/$dom/$u2"
wait_for 10 test -d "$maildir" && pass "mailbox exists before delete" || fail "mailbox exists before delete" "$maildir missing"
expect "delete account" 204 DELETE "/api/v1/accounts/$u2"
check_fails "deleted account cannot log in (username)" imaps "$u2" "$pw3"
check_fails "deleted account cannot log in (address)" imaps "second@$dom" "$pw3"
assert_eq "mail job filed" "1" "$(sql "SELECT count(*) FROM mail_job WHERE kind = 'mailbox.delete' AND username = '$u2'")"
if wait_for 10 test ! -e "$maildir"; then pass "mail gone within 10 s"; else fail "mail gone within 10 s" "$maildir still there"; fi
expect "delete again -> 404" 404 DELETE "/api/v1/accounts/$u2"
expect "accounts used after a deletion" 200 GET "/api/v1/domains/$dom"
assert_eq "accounts used = 2" "2" "$(jq_get .accounts)"
expect "new account after delete" 201 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"fifth\",\"password\":\"$pw\"}"
assert_eq "numbers are never reused" "${pfx}0004" "$(jq_get .username)"

# 20 parallel creations get 20 distinct usernames
pdom="p$n.example"
ppfx="q$(printf '%s' "$n" | tail -c 10)"
api_domain "$pdom" "$ppfx" 100 1 || fail "setup" "parallel domain"
for i in $(seq 1 20); do
	# own output file per call (api() shares one)
	_curl -o "$TEST_TMP/par$i.json" -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
		-H 'Content-Type: application/json' --data-binary "{\"local_part\":\"par$i\",\"password\":\"$pw\"}" \
		"$CASIER_WEB_URL/api/v1/domains/$pdom/accounts" &
done
wait
names=$(cat "$TEST_TMP"/par*.json | jq -r .username | sort)
assert_eq "20 parallel creations succeeded" "20" "$(printf '%s\n' "$names" | grep -c "^$ppfx")"
assert_eq "20 distinct usernames" "20" "$(printf '%s\n' "$names" | sort -u | grep -c "^$ppfx")"
assert_eq "numbers 0001..0020 without gaps" "$(seq -f "$ppfx%04g" 1 20 | tr '\n' ' ')" "$(printf '%s\n' "$names" | tr '\n' ' ')"

# a search walks its pages with the cursor (both search plans, sql/020)
got=""
cursor=""
for i in 1 2 3 4 5; do
	BODY=$(api GET "/api/v1/domains/$pdom/accounts?limit=5&q=par1${cursor:+&cursor=$cursor}")
	got="$got$(jq_get '[.items[].local_part] | join(" ")') "
	cursor=$(jq_get '.next_cursor // empty')
	[ -n "$cursor" ] || break
done
assert_eq "search pages: 11 matches once each" "11 11" "$(printf '%s' "$got" | wc -w) $(printf '%s' "$got" | tr ' ' '\n' | grep -c . | tr -d ' ')"
assert_eq "search pages: all par1*" "par1 par10 par11 par12 par13 par14 par15 par16 par17 par18 par19" "$(printf '%s' "$got" | tr ' ' '\n' | grep . | sort -V | tr '\n' ' ' | sed 's/ $//')"
BODY=$(api GET "/api/v1/domains/$pdom/accounts?limit=5&q=par1&cursor=$(api GET "/api/v1/domains/$pdom/accounts?limit=5&q=par1" | jq -r .next_cursor)")
p=$(jq_get .prev_cursor)
BODY=$(api GET "/api/v1/domains/$pdom/accounts?limit=5&q=par1&cursor=$p")
assert_eq "search prev page = first page" "$(api GET "/api/v1/domains/$pdom/accounts?limit=5&q=par1" | jq -c '[.items[].local_part]')" "$(jq_get '[.items[].local_part]' | jq -c .)"

# "active":false at creation is part of the creation's transaction: when
# a later statement of the request fails (here a trigger refuses any
# "account.update" audit row of this domain), no account may be left
# behind, least of all an active one.
idom="i$n.example"
api_domain "$idom" "i$(printf '%s' "$n" | tail -c 10)" 5 1 || fail "setup" "domain $idom"
fn="casier_test_fail_$(printf '%s' "$n" | tr -c 'a-z0-9\n' '_')"
sql "CREATE FUNCTION $fn() RETURNS trigger LANGUAGE plpgsql AS \$f\$ BEGIN IF NEW.domain_name = '$idom' AND NEW.action = 'account.update' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END \$f\$; CREATE TRIGGER $fn BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION $fn();"
BODY=$(api POST "/api/v1/domains/$idom/accounts" "{\"local_part\":\"sleeper\",\"password\":\"$pw\",\"active\":false}")
st=$(api_status)
sql "DROP TRIGGER $fn ON audit_log; DROP FUNCTION $fn();"
assert_eq "created inactive: no active account left whatever the answer" "0" "$(sql "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$idom' AND a.active")"
assert_eq "created inactive: 201" "201" "$st"
assert_eq "created inactive: answer says inactive" "false" "$(jq_get .active)"
finish
