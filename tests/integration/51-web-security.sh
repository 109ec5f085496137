#!/bin/bash
# 51-web-security.sh - the web manager's HTML side against hostile
# clients, with curl against the stack:
#   - session cookie attributes and security headers;
#   - a POST without or with a wrong CSRF token is refused (403) and
#     changes nothing; the login form needs its pre-login token;
#   - NUL, invalid UTF-8, control characters, overlong fields, too many
#     fields, a wrong content type give 4xx and change nothing;
#   - script payloads come back escaped; SQL metacharacters are stored
#     literally;
#   - a domain admin gets 404 for another domain's objects and 403 for
#     superuser pages, and cannot delete another domain's account;
#   - log out, idle and absolute expiry end the session;
#   - login throttling per login;
#   - the daemon keeps serving.
# Needs CASIER_WEB_URL, CASIER_API_TOKEN, CASIER_SUPERUSER(_PASSWORD),
# CASIER_PGHOST, CASIER_PGPORT (run/stack.env).  Prints PASS:/FAIL: lines.

set -u
for v in CASIER_WEB_URL CASIER_API_TOKEN CASIER_SUPERUSER CASIER_SUPERUSER_PASSWORD \
	CASIER_PGHOST CASIER_PGPORT; do
	if [ -z "${!v:-}" ]; then
		echo "FAIL: web-security: $v not set (source run/stack.env)"
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
tmp=$(mktemp -d /tmp/casier-websec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
curl_opts=(-s --max-time 20)
[ -n "${CASIER_TLS_CA:-}" ] && curl_opts+=(--cacert "$CASIER_TLS_CA")

psql_c() {
	psql -X -q -tA -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier casier -c "$1"
}
api() { # method path [json] -> prints status, body in $tmp/api.out
	local args=("${curl_opts[@]}" -o "$tmp/api.out" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $CASIER_API_TOKEN")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$base$2"
}
# web JAR METHOD PATH [curl args...] -> status; body in $tmp/body, headers in $tmp/hdr
web() {
	local jar=$1 method=$2 path=$3
	shift 3
	curl "${curl_opts[@]}" -b "$tmp/$jar" -c "$tmp/$jar" -D "$tmp/hdr" -o "$tmp/body" \
		-w '%{http_code}' -X "$method" "$@" "$base$path"
}
# login JAR USER PASSWORD -> status of the POST (303 on success)
login() {
	local jar=$1 token
	rm -f "$tmp/$jar"
	web "$jar" GET /login >/dev/null
	token=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$tmp/body" | head -1)
	web "$jar" POST /login --data-urlencode "csrf_token=$token" \
		--data-urlencode "login=$2" --data-urlencode "password=$3"
}
csrf_of() { # JAR PATH -> the CSRF token of the page
	web "$1" GET "$2" >/dev/null
	sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$tmp/body" | head -1
}
count_accounts() { # domain -> number of accounts in SQL
	psql_c "SELECT count(*) FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$1'"
}

id=$$
d1=websec$id-a.example
d2=websec$id-b.example
admin=websec$id-admin
pw=Tr4vel-Blue-92
apw=Zebra-Quartz-4711

# --- set-up through the API ---
s1=$(api POST /api/v1/domains "{\"name\":\"$d1\",\"prefix\":\"wsa$id\",\"max_accounts\":10,\"default_quota_mb\":10}")
s2=$(api POST /api/v1/domains "{\"name\":\"$d2\",\"prefix\":\"wsb$id\",\"max_accounts\":10,\"default_quota_mb\":10}")
s3=$(api POST "/api/v1/domains/$d2/accounts" "{\"local_part\":\"victim\",\"password\":\"$apw\"}")
s4=$(api POST /api/v1/admins "{\"login\":\"$admin\",\"password\":\"$pw\",\"domains\":[\"$d1\"]}")
s5=$(api POST "/api/v1/domains/$d2/aliases" "{\"local_part\":\"shared\",\"targets\":[\"victim@$d2\"]}")
if [ "$s1$s2$s3$s4$s5" != 201201201201201 ]; then
	echo "FAIL: web-security setup: API answered $s1 $s2 $s3 $s4 $s5: $(head -c 300 "$tmp/api.out")"
	exit 1
fi
victim=$(psql_c "SELECT username FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d2'")

# --- login, cookie, headers ---
st=$(login a "$admin" "$pw")
if [ "$st" = 303 ] && grep -qi '^set-cookie: casier_session=' "$tmp/hdr"; then
	c=$(grep -i '^set-cookie: casier_session=' "$tmp/hdr")
	ok=1
	for attr in HttpOnly SameSite=Strict Path=/; do
		grep -q "$attr" <<<"$c" || ok=0
	done
	case $base in https:*) grep -q Secure <<<"$c" || ok=0 ;; esac
	[ $ok = 1 ] && pass "session cookie is HttpOnly, SameSite=Strict, Path=/ (Secure on HTTPS)" ||
		fail "session cookie attributes" "$c"
else
	fail "domain admin login" "status $st"
fi
sid=$(awk '$6 == "casier_session" {print $7}' "$tmp/a")
if [ ${#sid} -eq 43 ] &&
	[ "$(psql_c "SELECT count(*) FROM admin_session WHERE id_hash = sha256('$sid'::bytea)")" = 1 ] &&
	[ "$(psql_c "SELECT count(*) FROM admin_session WHERE id_hash = '$sid'::bytea")" = 0 ]; then
	pass "session id is 256 bits and only its SHA-256 is stored"
else
	fail "session storage" "id length ${#sid}"
fi
st=$(web a GET /)
if [ "$st" = 200 ] && grep -qi "^content-security-policy: default-src 'self'" "$tmp/hdr" &&
	grep -qi '^x-content-type-options: nosniff' "$tmp/hdr" && ! grep -q 'style=' "$tmp/body" &&
	! grep -q '<script' "$tmp/body"; then
	pass "pages carry CSP and nosniff, no inline script or style"
else
	fail "security headers" "status $st"
fi

# --- CSRF ---
path=/domains/$d1/accounts/new
before=$(count_accounts "$d1")
st1=$(web a POST "$path" --data-urlencode "local_part=nocsrf" --data-urlencode "quota_kb=100" \
	--data-urlencode "password=$apw" --data-urlencode "password2=$apw")
st2=$(web a POST "$path" --data-urlencode "csrf_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	--data-urlencode "local_part=badcsrf" --data-urlencode "quota_kb=100" \
	--data-urlencode "password=$apw" --data-urlencode "password2=$apw")
if [ "$st1" = 403 ] && [ "$st2" = 403 ] && [ "$(count_accounts "$d1")" = "$before" ]; then
	pass "POST without or with a wrong CSRF token: 403, nothing created"
else
	fail "CSRF" "statuses $st1 $st2, accounts $before -> $(count_accounts "$d1")"
fi
rm -f "$tmp/x"
web x GET /login >/dev/null
st=$(web x POST /login --data-urlencode "login=$admin" --data-urlencode "password=$pw")
[ "$st" = 403 ] && pass "login without its pre-login token: 403" || fail "login CSRF" "status $st"

# --- malformed forms ---
tok=$(csrf_of a "$path")
form_case() { # name expected-status body [content-type]
	local st
	st=$(web a POST "$path" -H "Content-Type: ${4:-application/x-www-form-urlencoded}" --data-binary "$3")
	if [ "$st" = "$2" ] && [ "$(count_accounts "$d1")" = "$before" ]; then
		pass "form: $1 -> $st, nothing created"
	else
		fail "form: $1" "status $st (want $2), accounts $(count_accounts "$d1")"
	fi
}
good="csrf_token=$tok&quota_kb=100&password=$apw&password2=$apw"
form_case "NUL byte" 400 "$good&local_part=a%00b"
printf '%s&local_part=raw' "$good" >"$tmp/rawnul"
printf '\0x' >>"$tmp/rawnul"
form_case "raw NUL byte" 400 "@$tmp/rawnul"
form_case "invalid UTF-8" 400 "$good&local_part=%FF%FE"
form_case "overlong UTF-8" 400 "$good&local_part=%C0%AF"
form_case "control character" 400 "$good&local_part=a%1Bb"
form_case "bad percent escape" 400 "$good&local_part=%zz"
form_case "overlong field" 413 "$good&local_part=$(head -c 9000 /dev/zero | tr '\0' a)"
form_case "too many fields" 413 "$good$(for i in $(seq 1 250); do printf '&f%d=1' "$i"; done)"
form_case "wrong content type" 415 "{\"local_part\":\"json\"}" application/json
head -c 2000000 /dev/zero | tr '\0' a | sed "s/^/$good\&local_part=/" >"$tmp/huge"
form_case "body over max_body" 413 "@$tmp/huge"

# --- escaping and literal storage ---
st=$(web a GET "/domains/$d1/accounts?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
if [ "$st" = 200 ] && grep -q 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' "$tmp/body" &&
	! grep -q '<script>alert' "$tmp/body"; then
	pass "search text comes back escaped"
else
	fail "search escaping" "status $st"
fi
st1=$(web a GET "/domains/$d1/accounts?q=%FF%FE")
st2=$(web a GET "/domains/$d1/accounts?q=a%00b")
st3=$(web a GET "/domains/$d1/accounts?q=a%1Bb")
[ "$st1$st2$st3" = 400400400 ] && pass "query strings with invalid UTF-8, NUL or control characters: 400" ||
	fail "query string checks" "statuses $st1 $st2 $st3"
st=$(web a POST "$path" --data-urlencode "csrf_token=$tok" \
	--data-urlencode 'local_part="><svg onload=alert(1)>' --data-urlencode "quota_kb=100" \
	--data-urlencode "password=$apw" --data-urlencode "password2=$apw")
if [ "$st" = 422 ] && grep -q 'value="&quot;&gt;&lt;svg onload=alert(1)&gt;"' "$tmp/body" &&
	! grep -q '<svg' "$tmp/body" && [ "$(count_accounts "$d1")" = "$before" ]; then
	pass "refused address comes back escaped with its error, nothing created"
else
	fail "form echo escaping" "status $st"
fi
st=$(web a POST "$path" --data-urlencode "csrf_token=$tok" --data-urlencode "local_part=o'brien" \
	--data-urlencode "quota_kb=100" --data-urlencode "password=$apw" --data-urlencode "password2=$apw")
stored=$(psql_c "SELECT local_part FROM account a JOIN domain d ON d.id = a.domain_id WHERE d.name = '$d1'")
web a GET "/domains/$d1/accounts" >/dev/null
if [ "$st" = 303 ] && [ "$stored" = "o'brien" ] && grep -q "o&#39;brien@$d1" "$tmp/body"; then
	pass "SQL metacharacters are stored literally and shown escaped"
else
	fail "literal storage" "status $st, stored '$stored'"
fi

# --- another domain's objects, superuser pages ---
for p in "/domains/$d2/accounts" "/domains/$d2/aliases" "/accounts/$victim" \
	"/accounts/$victim/redirect" "/domains/$d2/catchall" "/aliases/shared@$d2" \
	"/aliases/shared@$d2/delete" "/domains/$d2/accounts/new"; do
	st=$(web a GET "$p")
	[ "$st" = 404 ] && pass "domain admin: GET $p -> 404" || fail "domain admin: GET $p" "status $st"
done
tok=$(csrf_of a /)
st=$(web a POST "/accounts/$victim/delete" --data-urlencode "csrf_token=$tok" --data-urlencode confirm=yes)
if [ "$st" = 404 ] && [ "$(count_accounts "$d2")" = 1 ]; then
	pass "domain admin cannot delete another domain's account (404)"
else
	fail "foreign delete" "status $st, accounts of $d2: $(count_accounts "$d2")"
fi
for p in /admins /admins/new "/domains/$d1/edit" "/domains/$d1/delete" /domains/new; do
	st=$(web a GET "$p")
	[ "$st" = 403 ] && pass "domain admin: GET $p -> 403" || fail "domain admin: GET $p" "status $st"
done
st=$(web a POST /domains/new --data-urlencode "csrf_token=$tok" --data-urlencode "name=evil$id.example" \
	--data-urlencode "prefix=evil$id" --data-urlencode max_accounts=1 --data-urlencode quota_kb=1)
if [ "$st" = 403 ] && [ "$(psql_c "SELECT count(*) FROM domain WHERE name = 'evil$id.example'")" = 0 ]; then
	pass "domain admin: POST /domains/new -> 403, nothing created"
else
	fail "domain admin domain create" "status $st"
fi

# --- session end: log out, idle, absolute ---
tok=$(csrf_of a /)
cp "$tmp/a" "$tmp/a.saved"
st=$(web a POST /logout --data-urlencode "csrf_token=$tok")
cp "$tmp/a.saved" "$tmp/old"
st2=$(web old GET /)
if [ "$st" = 303 ] && [ "$st2" = 303 ] && grep -qi '^location: /login' "$tmp/hdr"; then
	pass "after log out the old session cookie is refused"
else
	fail "log out" "statuses $st $st2"
fi
login b "$admin" "$pw" >/dev/null
sid=$(awk '$6 == "casier_session" {print $7}' "$tmp/b")
psql_c "UPDATE admin_session SET last_seen_at = now() - interval '31 minutes' WHERE id_hash = sha256('$sid'::bytea)" >/dev/null
st=$(web b GET /)
[ "$st" = 303 ] && pass "idle session expires (30 min)" || fail "idle expiry" "status $st"
login c "$admin" "$pw" >/dev/null
sid=$(awk '$6 == "casier_session" {print $7}' "$tmp/c")
st1=$(web c GET /)
psql_c "UPDATE admin_session SET expires_at = now() - interval '1 second' WHERE id_hash = sha256('$sid'::bytea)" >/dev/null
st2=$(web c GET /)
[ "$st1" = 200 ] && [ "$st2" = 303 ] && pass "absolute session expiry" ||
	fail "absolute expiry" "statuses $st1 $st2"

# --- throttling per login ---
ghost=ghost$id
codes=""
for i in 1 2 3 4 5 6; do
	codes="$codes $(login t "$ghost" wrong-password-$i)"
done
if [ "$codes" = " 401 401 401 401 401 429" ]; then
	pass "login throttling: the 6th failure in 15 minutes is refused (429)"
else
	fail "login throttling" "codes$codes"
fi
psql_c "INSERT INTO web_login_failure (kind, key, failures) VALUES ('login', '$admin', 5)
	ON CONFLICT (kind, key) DO UPDATE SET failures = 5, window_start = now()" >/dev/null
st=$(login t "$admin" "$pw")
[ "$st" = 429 ] && pass "a throttled login is refused even with the right password" ||
	fail "throttle right password" "status $st"
psql_c "UPDATE web_login_failure SET window_start = now() - interval '16 minutes' WHERE key = '$admin'" >/dev/null
st=$(login t "$admin" "$pw")
[ "$st" = 303 ] && pass "the throttle window ends after 15 minutes" || fail "throttle window" "status $st"

psql_c "INSERT INTO web_login_failure (kind, key, failures) VALUES ('ip', '127.0.0.1', 30)
	ON CONFLICT (kind, key) DO UPDATE SET failures = 30, window_start = now()" >/dev/null
st=$(login t "$admin" "$pw")
psql_c "DELETE FROM web_login_failure WHERE kind = 'ip' AND key = '127.0.0.1'" >/dev/null
[ "$st" = 429 ] && pass "login throttling per IP (30 failures)" || fail "throttle per IP" "status $st"

# --- still serving ---
st=$(web z GET /login)
[ "$st" = 200 ] && pass "the daemon keeps serving" || fail "still serving" "status $st"

# --- clean up ---
psql_c "DELETE FROM web_login_failure WHERE key IN ('$ghost', '$admin')" >/dev/null
psql_c "DELETE FROM admin WHERE login = '$admin'" >/dev/null
api DELETE "/api/v1/domains/$d1" >/dev/null
api DELETE "/api/v1/domains/$d2" >/dev/null
[ $failures -eq 0 ]
