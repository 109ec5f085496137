#!/bin/bash
# 40-api-domains.sh - JSON API: domains, alias domains, keyset paging,
# the error contract (DESIGN section 9, docs/api.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
dom="$n.example"
pfx="p$(printf '%s' "$n" | tail -c 12)"

expect "create domain" 201 POST /api/v1/domains \
	"{\"name\":\"$dom\",\"prefix\":\"$pfx\",\"max_accounts\":10,\"default_quota_mb\":25,\"contact\":\"Boss@$dom\"}"
assert_eq "create: name" "$dom" "$(jq_get .name)"
assert_eq "create: quota in MiB" "25" "$(jq_get .default_quota_mb)"
assert_eq "create: contact lower-cased" "boss@$dom" "$(jq_get .contact)"
assert_eq "stored in bytes" "26214400" "$(sql "SELECT default_quota_bytes FROM domain WHERE name = '$dom'")"
assert_eq "create audited" "1" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'domain.create' AND object = '$dom' AND after->>'prefix' = '$pfx'")"

expect "duplicate name -> 409" 409 POST /api/v1/domains \
	"{\"name\":\"$dom\",\"prefix\":\"${pfx}b\",\"max_accounts\":1,\"default_quota_mb\":1}"
assert_eq "duplicate name: field" "name" "$(jq_get .error.field)"
expect "duplicate prefix -> 409" 409 POST /api/v1/domains \
	"{\"name\":\"b$dom\",\"prefix\":\"$pfx\",\"max_accounts\":1,\"default_quota_mb\":1}"
assert_eq "duplicate prefix: field" "prefix" "$(jq_get .error.field)"
expect "bad prefix -> 422" 422 POST /api/v1/domains \
	"{\"name\":\"c$dom\",\"prefix\":\"9abc\",\"max_accounts\":1,\"default_quota_mb\":1}"
assert_eq "bad prefix: field" "prefix" "$(jq_get .error.field)"
expect "bad name -> 422" 422 POST /api/v1/domains \
	"{\"name\":\"not a domain\",\"prefix\":\"${pfx}c\",\"max_accounts\":1,\"default_quota_mb\":1}"
assert_eq "bad name: field" "name" "$(jq_get .error.field)"
expect "missing field -> 422" 422 POST /api/v1/domains "{\"name\":\"d$dom\",\"prefix\":\"${pfx}d\"}"
expect "negative quota -> 422" 422 POST /api/v1/domains \
	"{\"name\":\"e$dom\",\"prefix\":\"${pfx}e\",\"max_accounts\":1,\"default_quota_mb\":-1}"
assert_eq "refused creations left nothing" "0" "$(sql "SELECT count(*) FROM domain WHERE name IN ('b$dom','c$dom','d$dom','e$dom')")"

# IDNA: a U-label is stored as its A-label
expect "IDN domain" 201 POST /api/v1/domains \
	"{\"name\":\"exémple-$n.example\",\"prefix\":\"${pfx}i\",\"max_accounts\":1,\"default_quota_mb\":1}"
assert_eq "IDN stored as A-label" "xn--" "$(jq_get .name | cut -c1-4)"
idn=$(jq_get .name)
expect "IDN found by its U-label" 200 GET "/api/v1/domains/ex%C3%A9mple-$n.example"
assert_eq "IDN get name" "$idn" "$(jq_get .name)"

expect "get domain" 200 GET "/api/v1/domains/$dom"
assert_eq "get: prefix" "$pfx" "$(jq_get .prefix)"
assert_eq "get: accounts used" "0" "$(jq_get .accounts)"
expect "unknown domain -> 404" 404 GET "/api/v1/domains/nope-$n.example"

expect "patch domain" 200 PATCH "/api/v1/domains/$dom" '{"max_accounts":20,"default_quota_mb":50,"contact":null}'
assert_eq "patch: max" "20" "$(jq_get .max_accounts)"
assert_eq "patch: quota" "50" "$(jq_get .default_quota_mb)"
assert_eq "patch: contact cleared" "null" "$(jq_get .contact)"
assert_eq "patch audited with before/after" "10|20" \
	"$(sql "SELECT before->>'max_accounts' || '|' || (after->>'max_accounts') FROM audit_log WHERE action = 'domain.update' AND object = '$dom' ORDER BY id DESC LIMIT 1")"
expect "patch name (immutable) -> 422" 422 PATCH "/api/v1/domains/$dom" "{\"name\":\"x$dom\"}"
assert_eq "patch name: field" "name" "$(jq_get .error.field)"
expect "patch unknown field -> 422" 422 PATCH "/api/v1/domains/$dom" '{"colour":"blue"}'
expect "patch wrong type -> 422" 422 PATCH "/api/v1/domains/$dom" '{"max_accounts":"20"}'
assert_eq "refused patches changed nothing" "20" "$(sql "SELECT max_accounts FROM domain WHERE name = '$dom'")"

# alias domains
expect "add alias domain" 201 POST "/api/v1/domains/$dom/alias-domains" "{\"name\":\"alias-$dom\"}"
assert_eq "alias domain listed" "alias-$dom" "$(jq_get '.alias_domains[0]')"
expect "alias domain resolves to primary" 200 GET "/api/v1/domains/alias-$dom"
assert_eq "alias domain get name" "$dom" "$(jq_get .name)"
expect "alias domain = existing domain -> 409" 409 POST "/api/v1/domains/$dom/alias-domains" "{\"name\":\"$idn\"}"
expect "domain named like an alias domain -> 409" 409 POST /api/v1/domains \
	"{\"name\":\"alias-$dom\",\"prefix\":\"${pfx}z\",\"max_accounts\":1,\"default_quota_mb\":1}"
# deleting "a domain" named by an alias domain must not take the
# primary domain, its accounts and their mail with it
expect "DELETE /domains/{alias domain} -> 404" 404 DELETE "/api/v1/domains/alias-$dom"
expect "the primary domain is still there" 200 GET "/api/v1/domains/$dom"
expect "remove alias domain" 204 DELETE "/api/v1/domains/$dom/alias-domains/alias-$dom"
expect "remove it again -> 404" 404 DELETE "/api/v1/domains/$dom/alias-domains/alias-$dom"

# keyset paging over domains matching q
for i in 1 2 3 4 5; do
	api_domain "pg$i-$n.example" "${pfx}g$i" 1 1 || fail "paging setup" "domain $i"
done
seen=""
cursor=""
pages=0
while :; do
	BODY=$(api GET "/api/v1/domains?limit=2&q=-$n.example${cursor:+&cursor=$cursor}")
	[ "$(api_status)" = 200 ] || {
		fail "paging" "status $(api_status)"
		break
	}
	pages=$((pages + 1))
	seen="$seen$(jq_get '.items[].name' | grep '^pg' | tr '\n' ' ')"
	cursor=$(jq_get '.next_cursor // empty')
	[ -n "$cursor" ] && [ "$pages" -lt 10 ] || break
done
assert_eq "paging: every domain once, in order" \
	"pg1-$n.example pg2-$n.example pg3-$n.example pg4-$n.example pg5-$n.example " "$seen"
BODY=$(api GET "/api/v1/domains?limit=2&q=pg3-$n")
assert_eq "q filters" "pg3-$n.example" "$(jq_get '.items[].name' | tr '\n' ' ' | sed 's/ $//')"
BODY=$(api GET "/api/v1/domains?limit=2&q=pg%25")
assert_eq "q: % is literal" "0" "$(jq_get '.items | length')"
expect "limit 0 -> 400" 400 GET "/api/v1/domains?limit=0"
expect "limit 501 -> 400" 400 GET "/api/v1/domains?limit=501"
expect "limit 500 ok" 200 GET "/api/v1/domains?limit=500"
expect "bad cursor -> 400" 400 GET "/api/v1/domains?cursor=%21%21"
# prev_cursor walks back
BODY=$(api GET "/api/v1/domains?limit=2&q=-$n.example")
c1=$(jq_get .next_cursor)
BODY=$(api GET "/api/v1/domains?limit=2&q=-$n.example&cursor=$c1")
first2=$(jq_get '.items[0].name')
p=$(jq_get .prev_cursor)
BODY=$(api GET "/api/v1/domains?limit=2&q=-$n.example&cursor=$p")
assert_eq "prev_cursor returns the first page" "$(api GET "/api/v1/domains?limit=2&q=-$n.example" | jq -c '[.items[].name]')" "$(jq_get '[.items[].name]' | jq -c .)"
[ -n "$first2" ] && pass "second page not empty" || fail "second page not empty" "empty"

# delete: accounts' mail goes through mail jobs
api POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"zed\",\"password\":\"$(uniq_password)\"}" >/dev/null
assert_eq "account for domain delete" 201 "$(api_status)"
expect "delete domain" 204 DELETE "/api/v1/domains/$dom"
assert_eq "domain gone" "0" "$(sql "SELECT count(*) FROM domain WHERE name = '$dom'")"
assert_eq "mail job filed for its account" "1" "$(sql "SELECT count(*) FROM mail_job WHERE kind = 'mailbox.delete' AND domain_name = '$dom'")"
assert_eq "delete audited" "1" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'domain.delete' AND object = '$dom' AND before IS NOT NULL")"
expect "delete again -> 404" 404 DELETE "/api/v1/domains/$dom"
finish
