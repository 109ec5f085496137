#!/bin/bash
# 42-api-aliases.sh - JSON API: aliases (targets, no-destination state,
# literal and %40 addresses), redirects, catch-all; another domain's
# username as a target or catch-all -> 422.  DESIGN section 9.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
dom="$n.example"
pfx="l$(printf '%s' "$n" | tail -c 10)"
odom="o$n.example"
opfx="m$(printf '%s' "$n" | tail -c 10)"
api_domain "$dom" "$pfx" 10 10 || fail "setup" "domain"
api_domain "$odom" "$opfx" 10 10 || fail "setup" "other domain"
pw=$(uniq_password)
api POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"gugus.dupont\",\"password\":\"$pw\"}" >/dev/null
u1=${pfx}0001
api POST "/api/v1/domains/$odom/accounts" "{\"local_part\":\"other\",\"password\":\"$pw\"}" >/dev/null
ou1=${opfx}0001
assert_eq "setup accounts" "2" "$(sql "SELECT count(*) FROM account WHERE username IN ('$u1','$ou1')")"

expect "create alias to a username" 201 POST "/api/v1/domains/$dom/aliases" "{\"local_part\":\"gugus\",\"targets\":[\"$u1\"]}"
assert_eq "alias address" "gugus@$dom" "$(jq_get .address)"
assert_eq "alias targets" "$u1" "$(jq_get '.targets | join(",")')"
expect "alias to remote + local addresses" 201 POST "/api/v1/domains/$dom/aliases" \
	"{\"local_part\":\"team\",\"targets\":[\"X@Remote.Example\",\"gugus.dupont@$dom\",\"$u1\"]}"
assert_eq "targets normalised" "x@remote.example,gugus.dupont@$dom,$u1" "$(jq_get '.targets | join(",")')"
expect "alias without destination" 201 POST "/api/v1/domains/$dom/aliases" '{"local_part":"empty","targets":[]}'
assert_eq "no destination = empty targets" "0" "$(jq_get '.targets | length')"
expect "alias with another domain's username -> 422" 422 POST "/api/v1/domains/$dom/aliases" \
	"{\"local_part\":\"bad\",\"targets\":[\"$ou1\"]}"
assert_eq "422 field targets" "targets" "$(jq_get .error.field)"
expect "alias with a bad target -> 422" 422 POST "/api/v1/domains/$dom/aliases" '{"local_part":"bad2","targets":["not an address"]}'
expect "alias on an account's local part -> 409" 409 POST "/api/v1/domains/$dom/aliases" '{"local_part":"gugus.dupont","targets":[]}'
expect "duplicate alias -> 409" 409 POST "/api/v1/domains/$dom/aliases" '{"local_part":"gugus","targets":[]}'
expect "account on an alias's local part -> 409" 409 POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"team\",\"password\":\"$pw\"}"
assert_eq "refusals created nothing" "3" "$(sql "SELECT count(*) FROM alias l JOIN domain d ON d.id = l.domain_id WHERE d.name = '$dom'")"

expect "get alias (literal @)" 200 GET "/api/v1/aliases/team@$dom"
assert_eq "get alias targets" "3" "$(jq_get '.targets | length')"
expect "get alias (%40)" 200 GET "/api/v1/aliases/team%40$dom"
expect "get alias upper case" 200 GET "/api/v1/aliases/TEAM@$dom"
expect "unknown alias -> 404" 404 GET "/api/v1/aliases/nobody@$dom"
expect "list aliases" 200 GET "/api/v1/domains/$dom/aliases"
assert_eq "list aliases in order" "empty gugus team" "$(jq_get '[.items[].local_part] | join(" ")')"
expect "list aliases limit 1" 200 GET "/api/v1/domains/$dom/aliases?limit=1"
c=$(jq_get .next_cursor)
expect "list aliases page 2" 200 GET "/api/v1/domains/$dom/aliases?limit=1&cursor=$c"
assert_eq "page 2" "gugus" "$(jq_get '[.items[].local_part] | join(" ")')"
expect "search aliases by target" 200 GET "/api/v1/domains/$dom/aliases?q=remote.example"
assert_eq "search by target" "team" "$(jq_get '[.items[].local_part] | join(" ")')"

expect "put alias targets" 200 PUT "/api/v1/aliases/empty%40$dom" "{\"targets\":[\"$u1\",\"$u1\"]}"
assert_eq "duplicates collapsed" "$u1" "$(jq_get '.targets | join(",")')"
assert_eq "alias update audited" "1" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'alias.update' AND object = 'empty@$dom' AND jsonb_array_length(before->'targets') = 0 AND jsonb_array_length(after->'targets') = 1")"
expect "put alias to no destination" 200 PUT "/api/v1/aliases/empty@$dom" '{"targets":[]}'
expect "put alias other domain's username -> 422" 422 PUT "/api/v1/aliases/empty@$dom" "{\"targets\":[\"$ou1\"]}"
expect "put alias without targets field -> 422" 422 PUT "/api/v1/aliases/empty@$dom" '{}'
expect "delete alias" 204 DELETE "/api/v1/aliases/empty@$dom"
expect "delete alias again -> 404" 404 DELETE "/api/v1/aliases/empty@$dom"

# redirects
expect "no redirect yet -> 404" 404 GET "/api/v1/accounts/$u1/redirect"
expect "put redirect" 200 PUT "/api/v1/accounts/$u1/redirect" \
	"{\"targets\":[\"far@remote.example\",\"$u1\"],\"keep_copy\":true}"
assert_eq "redirect keep_copy" "true" "$(jq_get .keep_copy)"
assert_eq "redirect stored" "{far@remote.example,$u1}|true" "$(sql "SELECT r.targets::text || '|' || r.keep_copy FROM redirect r JOIN account a ON a.id = r.account_id WHERE a.username = '$u1'")"
expect "get redirect" 200 GET "/api/v1/accounts/$u1/redirect"
assert_eq "get redirect targets" "far@remote.example $u1" "$(jq_get '.targets | join(" ")')"
expect "account shows redirect marker" 200 GET "/api/v1/accounts/$u1"
assert_eq "redirect marker" "true" "$(jq_get .redirect)"
expect "redirect to another domain's username -> 422" 422 PUT "/api/v1/accounts/$u1/redirect" "{\"targets\":[\"$ou1\"],\"keep_copy\":false}"
expect "redirect without targets -> 422" 422 PUT "/api/v1/accounts/$u1/redirect" '{"targets":[],"keep_copy":false}'
assert_eq "refused redirect changed nothing" "t" "$(sql "SELECT r.keep_copy FROM redirect r JOIN account a ON a.id = r.account_id WHERE a.username = '$u1'")"
expect "redirect keep_copy false" 200 PUT "/api/v1/accounts/gugus.dupont@$dom/redirect" '{"targets":["far@remote.example"]}'
assert_eq "keep_copy defaults to false" "false" "$(jq_get .keep_copy)"
expect "delete redirect" 204 DELETE "/api/v1/accounts/$u1/redirect"
expect "delete redirect again -> 404" 404 DELETE "/api/v1/accounts/$u1/redirect"

# catch-all
expect "set catch-all" 200 PUT "/api/v1/domains/$dom/catchall" "{\"username\":\"$u1\"}"
assert_eq "catch-all stored" "$u1" "$(sql "SELECT a.username FROM domain d JOIN account a ON a.id = d.catchall_account_id WHERE d.name = '$dom'")"
expect "account shows catch-all marker" 200 GET "/api/v1/accounts/$u1"
assert_eq "catch-all marker" "true" "$(jq_get .catchall)"
expect "catch-all to another domain's account -> 422" 422 PUT "/api/v1/domains/$dom/catchall" "{\"username\":\"$ou1\"}"
assert_eq "refused catch-all changed nothing" "$u1" "$(sql "SELECT a.username FROM domain d JOIN account a ON a.id = d.catchall_account_id WHERE d.name = '$dom'")"
expect "catch-all by address" 200 PUT "/api/v1/domains/$dom/catchall" "{\"username\":\"gugus.dupont@$dom\"}"
expect "remove catch-all" 204 DELETE "/api/v1/domains/$dom/catchall"
assert_eq "catch-all removed" "" "$(sql "SELECT catchall_account_id FROM domain WHERE name = '$dom'")"
assert_eq "catch-all changes audited" "3" "$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'catchall.%' AND object = '$dom'")"
finish
