#!/bin/bash
# 52-web-pages.sh - what the HTML pages show, with curl against the stack
# (the browser test covers the manual's scenario; this covers the rest):
#   - the account list: 10 rows a page, next/previous (keyset), search,
#     live usage in KB and percent from quota_usage, markers for
#     redirect, vacation and catch-all, the domain's counts;
#   - alias domains on the superuser's domain page (add, remove);
#   - API tokens made on the tokens page work on the API, once shown,
#     and stop working when revoked;
#   - the superuser edits an admin's domains; the audit log shows it;
#   - every page answers in French by default and in English by
#     Accept-Language.
# Needs CASIER_WEB_URL, CASIER_API_TOKEN, CASIER_SUPERUSER(_PASSWORD),
# CASIER_PGHOST, CASIER_PGPORT (run/stack.env).  Prints PASS:/FAIL: lines.

set -u
for v in CASIER_WEB_URL CASIER_API_TOKEN CASIER_SUPERUSER CASIER_SUPERUSER_PASSWORD \
	CASIER_PGHOST CASIER_PGPORT; do
	if [ -z "${!v:-}" ]; then
		echo "FAIL: web-pages: $v not set (source run/stack.env)"
		exit 1
	fi
done

base=${CASIER_WEB_URL%/}
failures=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	failures=$((failures + 1))
}
tmp=$(mktemp -d /tmp/casier-webpages.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
curl_opts=(-s --max-time 20)
[ -n "${CASIER_TLS_CA:-}" ] && curl_opts+=(--cacert "$CASIER_TLS_CA")

psql_c() {
	psql -X -q -tA -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier casier -c "$1"
}
api() { # method path [json] [token] -> status; body in $tmp/api.out
	local args=("${curl_opts[@]}" -o "$tmp/api.out" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer ${4:-$CASIER_API_TOKEN}")
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$base$2"
}
web() { # JAR METHOD PATH [curl args] -> status; body in $tmp/body
	local jar=$1 method=$2 path=$3
	shift 3
	curl "${curl_opts[@]}" -b "$tmp/$jar" -c "$tmp/$jar" -D "$tmp/hdr" -o "$tmp/body" \
		-w '%{http_code}' -X "$method" "$@" "$base$path"
}
login() { # JAR USER PASSWORD
	local jar=$1 token
	rm -f "$tmp/$jar"
	web "$jar" GET /login >/dev/null
	token=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$tmp/body" | head -1)
	web "$jar" POST /login --data-urlencode "csrf_token=$token" \
		--data-urlencode "login=$2" --data-urlencode "password=$3"
}
csrf_of() {
	web "$1" GET "$2" >/dev/null
	sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$tmp/body" | head -1
}
rows() { grep -c '<tr data-username=' "$tmp/body"; }
# the href of the element with the given id (HTML-unescaped &amp;)
href_of() { sed -n "s/.*<a href=\"\\([^\"]*\\)\" id=\"$1\".*/\\1/p" "$tmp/body" | head -1 | sed 's/&amp;/\&/g'; }

id=$$
d=webpages$id.example
pfx=wp$id
apw=Zebra-Quartz-4711
admin=webpages$id-admin
pw=Tr4vel-Blue-92

st=$(api POST /api/v1/domains "{\"name\":\"$d\",\"prefix\":\"$pfx\",\"max_accounts\":20,\"default_quota_mb\":10}")
[ "$st" = 201 ] || {
	echo "FAIL: web-pages setup: domain: $st $(head -c 200 "$tmp/api.out")"
	exit 1
}
for i in $(seq 1 12); do
	st=$(api POST "/api/v1/domains/$d/accounts" "{\"local_part\":\"user$i\",\"password\":\"$apw\"}")
	[ "$st" = 201 ] || {
		echo "FAIL: web-pages setup: account $i: $st $(head -c 200 "$tmp/api.out")"
		exit 1
	}
done
st=$(api POST /api/v1/admins "{\"login\":\"$admin\",\"password\":\"$pw\",\"domains\":[]}")
[ "$st" = 201 ] || {
	echo "FAIL: web-pages setup: admin: $st $(head -c 200 "$tmp/api.out")"
	exit 1
}

login s "$CASIER_SUPERUSER" "$CASIER_SUPERUSER_PASSWORD" >/dev/null

# --- paging, search ---
web s GET "/domains/$d/accounts" >/dev/null
n1=$(rows)
next=$(href_of next-page)
first1=$(grep -o '<tr data-username="[^"]*"' "$tmp/body" | head -1)
if [ "$n1" = 10 ] && [ -n "$next" ] && ! grep -q 'id="prev-page"' "$tmp/body"; then
	pass "account list: 10 rows on the first page, a next link, no previous link"
else
	fail "first page" "$n1 rows, next '$next'"
fi
web s GET "$next" >/dev/null
n2=$(rows)
prev=$(href_of prev-page)
if [ "$n2" = 2 ] && grep -q "data-username=\"${pfx}0012\"" "$tmp/body" && [ -n "$prev" ] &&
	! grep -q 'id="next-page"' "$tmp/body"; then
	pass "account list: the second page holds the last 2 accounts and a previous link"
else
	fail "second page" "$n2 rows, prev '$prev'"
fi
web s GET "$prev" >/dev/null
if [ "$(rows)" = 10 ] && [ "$(grep -o '<tr data-username="[^"]*"' "$tmp/body" | head -1)" = "$first1" ]; then
	pass "account list: previous goes back to the first page"
else
	fail "previous page" "$(rows) rows"
fi
web s GET "/domains/$d/accounts?q=user1" >/dev/null
# user1, user10, user11, user12
if [ "$(rows)" = 4 ] && grep -q "user12@$d" "$tmp/body" && ! grep -q "user2@$d" "$tmp/body"; then
	pass "account search filters by address"
else
	fail "search" "$(rows) rows"
fi
web s GET "/domains/$d/accounts?q=nothing-matches" >/dev/null
grep -q 'id="no-account">Pas de compte trouvé<' "$tmp/body" && pass "empty search: Pas de compte trouvé" ||
	fail "empty search" "no empty state"

# --- live usage, markers, counts ---
u1=${pfx}0001
psql_c "INSERT INTO quota_usage (username, bytes, messages) VALUES ('$u1', 2621440, 7)
	ON CONFLICT (username) DO UPDATE SET bytes = 2621440, messages = 7" >/dev/null
api PUT "/api/v1/accounts/$u1/redirect" '{"targets":["x@remote.example"],"keep_copy":true}' >/dev/null
api PUT "/api/v1/accounts/$u1/vacation" '{"subject":"Away","body":"Back soon"}' >/dev/null
api PUT "/api/v1/domains/$d/catchall" "{\"username\":\"$u1\"}" >/dev/null
web s GET "/domains/$d/accounts" >/dev/null
row=$(tr -d '\n' <"$tmp/body" | grep -o "<tr data-username=\"$u1\">.*" | sed 's|</tr>.*||')
if grep -q '2560 KB (25.0 %)' <<<"$row"; then
	pass "usage shown live in KB and percent (2.5 MiB of 10 MiB = 2560 KB, 25.0 %)"
else
	fail "usage" "$(sed 's/<[^>]*>/ /g' <<<"$row" | tr -s ' ' | head -c 200)"
fi
if grep -q '>redirection<' <<<"$row" && grep -q '>absence<' <<<"$row" && grep -q '>catch-all<' <<<"$row"; then
	pass "markers for redirect, vacation and catch-all"
else
	fail "markers" "$(sed 's/<[^>]*>/ /g' <<<"$row" | tr -s ' ' | head -c 200)"
fi
grep -q 'Comptes au total : 12 / 20' "$tmp/body" && pass "domain counts on the account list" ||
	fail "counts" "$(grep -o 'Comptes au total[^<]*' "$tmp/body")"
web s GET "/?q=$d" >/dev/null # the home page shows 50 domains: find ours
row=$(tr -d '\n' <"$tmp/body" | grep -o "<tr data-domain=\"$d\">.*" | sed 's|</tr>.*||' | sed 's/<[^>]*>/ /g' | tr -s ' ')
if grep -q "$pfx 20 12 10240 KB" <<<"$row"; then
	pass "welcome page: prefix, max accounts, accounts used, quota per user"
else
	fail "welcome row" "$row"
fi

# --- edit an account, a domain; alias delete ---
u2=${pfx}0002
h1=$(psql_c "SELECT password_hash FROM account WHERE username = '$u2'")
tok=$(csrf_of s "/accounts/$u2")
st=$(web s POST "/accounts/$u2" --data-urlencode "csrf_token=$tok" --data-urlencode quota_kb=5000 \
	--data-urlencode "password=Quiet-Harbor-58" --data-urlencode "password2=Quiet-Harbor-58")
got=$(psql_c "SELECT quota_bytes, active FROM account WHERE username = '$u2'")
h2=$(psql_c "SELECT password_hash FROM account WHERE username = '$u2'")
if [ "$st" = 303 ] && [ "$got" = "5120000|f" ] && [ "$h1" != "$h2" ]; then
	pass "edit account: quota 5000 KB, deactivated, new password"
else
	fail "edit account" "status $st, row $got"
fi
st=$(web s POST "/accounts/$u2" --data-urlencode "csrf_token=$tok" --data-urlencode quota_kb=abc \
	--data-urlencode active=1)
got=$(psql_c "SELECT quota_bytes, active FROM account WHERE username = '$u2'")
if [ "$st" = 422 ] && [ "$got" = "5120000|f" ] && grep -q 'class="field-error"' "$tmp/body"; then
	pass "edit account: a malformed quota is refused next to the field, nothing changes"
else
	fail "edit account bad quota" "status $st, row $got"
fi
tok=$(csrf_of s "/domains/$d/edit")
st=$(web s POST "/domains/$d/edit" --data-urlencode "csrf_token=$tok" --data-urlencode "prefix=$pfx" \
	--data-urlencode max_accounts=30 --data-urlencode quota_kb=20480 --data-urlencode active=1 \
	--data-urlencode "contact=postmaster@$d")
got=$(psql_c "SELECT max_accounts, default_quota_bytes, contact FROM domain WHERE name = '$d'")
if [ "$st" = 303 ] && [ "$got" = "30|20971520|postmaster@$d" ]; then
	pass "superuser edits the domain (max accounts, quota, contact)"
else
	fail "domain edit" "status $st, row $got"
fi
tok=$(csrf_of s "/domains/$d/aliases/new")
st=$(web s POST "/domains/$d/aliases/new" --data-urlencode "csrf_token=$tok" --data-urlencode local_part=sales)
st2=$(web s GET "/aliases/sales@$d/delete")
grep -q "sales@$d" "$tmp/body" && st3=$(web s POST "/aliases/sales@$d/delete" \
	--data-urlencode "csrf_token=$tok" --data-urlencode confirm=yes)
if [ "$st" = 303 ] && [ "$st2" = 200 ] && [ "${st3:-}" = 303 ] &&
	[ "$(psql_c "SELECT count(*) FROM alias a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d'")" = 0 ]; then
	pass "alias created, then deleted through its confirmation page"
else
	fail "alias delete" "statuses $st $st2 ${st3:-}"
fi

# --- CSV export and import ---
st=$(web s GET "/domains/$d/export.csv")
if [ "$st" = 200 ] && grep -qi '^content-type: text/csv' "$tmp/hdr" &&
	head -1 "$tmp/body" | grep -q '^type,address,username,quota_kb,usage_kb,targets' &&
	grep -q "^account,user3@$d,${pfx}0003," "$tmp/body"; then
	pass "CSV export of the domain's accounts"
else
	fail "CSV export" "status $st: $(head -c 200 "$tmp/body")"
fi
n0=$(psql_c "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d'")
tok=$(csrf_of s "/domains/$d/import")
good=$(printf 'local_part,password,quota_mb\r\nimp.one,%s,5\r\nimp.two,%s\r\n' "$apw" "$apw")
st=$(web s POST "/domains/$d/import" --data-urlencode "csrf_token=$tok" \
	--data-urlencode "csv=$good"$'\n'"bad line<b>,password1" --data-urlencode dry_run=1)
n1=$(psql_c "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d'")
if [ "$st" = 422 ] && [ "$n1" = "$n0" ] && grep -q 'id="import-report"' "$tmp/body" &&
	grep -q 'bad line&lt;b&gt;' "$tmp/body"; then
	pass "CSV import: a refused line is reported (escaped), nothing created"
else
	fail "CSV import errors" "status $st, accounts $n0 -> $n1"
fi
st=$(web s POST "/domains/$d/import" --data-urlencode "csrf_token=$tok" --data-urlencode "csv=$good" \
	--data-urlencode dry_run=1)
n1=$(psql_c "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d'")
[ "$st" = 200 ] && [ "$n1" = "$n0" ] && grep -q 'Essai réussi' "$tmp/body" &&
	pass "CSV import dry run: all lines valid, nothing created" ||
	fail "CSV import dry run" "status $st, accounts $n0 -> $n1"
st=$(web s POST "/domains/$d/import" --data-urlencode "csrf_token=$tok" --data-urlencode "csv=$good")
n1=$(psql_c "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d'")
q=$(psql_c "SELECT quota_bytes FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d' AND local_part = 'imp.one'")
if [ "$st" = 200 ] && [ "$n1" = $((n0 + 2)) ] && [ "$q" = 5242880 ] && grep -q 'Comptes créés' "$tmp/body"; then
	pass "CSV import creates the accounts"
else
	fail "CSV import" "status $st, accounts $n0 -> $n1, quota $q"
fi

# --- alias domains (superuser) ---
tok=$(csrf_of s "/domains/$d/edit")
st=$(web s POST "/domains/$d/alias-domains" --data-urlencode "csrf_token=$tok" \
	--data-urlencode "alias_domain=alias-$d")
web s GET "/domains/$d/edit" >/dev/null
if [ "$st" = 303 ] && grep -q "<td>alias-$d</td>" "$tmp/body" &&
	[ "$(psql_c "SELECT count(*) FROM alias_domain WHERE name = 'alias-$d'")" = 1 ]; then
	pass "superuser adds an alias domain"
else
	fail "alias domain add" "status $st"
fi
st=$(web s POST "/domains/$d/alias-domains" --data-urlencode "csrf_token=$tok" \
	--data-urlencode "alias_domain=$d")
if [ "$st" = 409 ] || [ "$st" = 422 ]; then
	grep -q 'class="field-error"' "$tmp/body" && pass "a domain cannot be its own alias domain ($st, message)" ||
		fail "alias domain conflict" "no message"
else
	fail "alias domain conflict" "status $st"
fi
st=$(web s POST "/domains/$d/alias-domains/alias-$d/delete" --data-urlencode "csrf_token=$tok")
if [ "$st" = 303 ] && [ "$(psql_c "SELECT count(*) FROM alias_domain WHERE name = 'alias-$d'")" = 0 ]; then
	pass "superuser removes the alias domain"
else
	fail "alias domain remove" "status $st"
fi

# --- admins: give the admin the domain ---
tok=$(csrf_of s "/admins/$admin")
st=$(web s POST "/admins/$admin" --data-urlencode "csrf_token=$tok" --data-urlencode "domain=$d" \
	--data-urlencode active=1)
login a "$admin" "$pw" >/dev/null
st2=$(web a GET "/domains/$d/accounts")
if [ "$st" = 303 ] && [ "$st2" = 200 ]; then
	pass "superuser gives an admin a domain on the admin page"
else
	fail "admin edit" "statuses $st $st2"
fi
web s GET "/audit?q=$admin" >/dev/null
grep -q 'admin.update' "$tmp/body" && pass "the audit log shows the admin change" ||
	fail "audit" "no admin.update entry"
web a GET /audit >/dev/null
if grep -q "$d" "$tmp/body" && ! grep -qE 'websec|exemple\.be' "$tmp/body"; then
	pass "a domain admin's audit log shows only its domains"
else
	fail "audit scope" "unexpected entries"
fi

# --- tokens ---
tok=$(csrf_of a /tokens)
st=$(web a POST /tokens --data-urlencode "csrf_token=$tok" --data-urlencode "name=script")
newtok=$(sed -n 's/.*id="new-token">\([^<]*\)<.*/\1/p' "$tmp/body")
st2=$(api GET /api/v1/domains "" "$newtok")
web a GET /tokens >/dev/null
if [ "$st" = 200 ] && [ -n "$newtok" ] && [ "$st2" = 200 ] && ! grep -q "$newtok" "$tmp/body"; then
	pass "a token made on the tokens page works on the API and is shown only once"
else
	fail "token create" "status $st, API $st2"
fi
tid=$(sed -n 's|.*action="/tokens/\([0-9]*\)/revoke".*|\1|p' "$tmp/body" | head -1)
tok=$(csrf_of a /tokens)
st=$(web a POST "/tokens/$tid/revoke" --data-urlencode "csrf_token=$tok")
st2=$(api GET /api/v1/domains "" "$newtok")
[ "$st" = 303 ] && [ "$st2" = 401 ] && pass "a revoked token is refused (401)" ||
	fail "token revoke" "statuses $st $st2"

# --- languages ---
web a GET "/domains/$d/accounts" -H 'Accept-Language: en-GB,en;q=0.9' >/dev/null
grep -q '<html lang="en">' "$tmp/body" && grep -q '>Log out<' "$tmp/body" &&
	pass "Accept-Language: English pages" || fail "English" "not English"
web a GET "/domains/$d/accounts" -H 'Accept-Language: de' >/dev/null
grep -q '<html lang="fr">' "$tmp/body" && grep -q '>Fin de session<' "$tmp/body" &&
	pass "default language: French" || fail "French default" "not French"

# --- clean up ---
psql_c "DELETE FROM quota_usage WHERE username LIKE '${pfx}%'" >/dev/null
psql_c "DELETE FROM admin WHERE login = '$admin'" >/dev/null
api DELETE "/api/v1/domains/$d" >/dev/null
[ $failures -eq 0 ]
