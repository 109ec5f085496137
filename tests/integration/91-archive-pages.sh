#!/bin/bash
# 91-archive-pages.sh - the archive's HTML pages (page-archive.c) on the
# real stack, logged in with a session like a browser: the list (newest
# first, rows-per-page preference, older-messages link), search, details
# without the content, re-send, delete with confirmation, preferences
# (tier, rows, superuser-only "enabled"), whitelist, the volume
# dashboard (download, receipt), escaping of hostile subjects, CSRF, and
# 404 for another domain's admin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

ARCH=$CASIER_BIN_DIR/archive/casier-archive
base=${CASIER_WEB_URL%/}

web() { # JAR METHOD PATH [curl args] -> status; body in $TEST_TMP/body
	local jar=$1 method=$2 path=$3
	shift 3
	_curl -b "$TEST_TMP/$jar" -c "$TEST_TMP/$jar" -D "$TEST_TMP/hdr" -o "$TEST_TMP/body" \
		-w '%{http_code}' -X "$method" "$@" "$base$path"
}
login() { # JAR USER PASSWORD -> status
	local jar=$1 token
	rm -f "$TEST_TMP/$jar"
	web "$jar" GET /login >/dev/null
	token=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1)
	web "$jar" POST /login --data-urlencode "csrf_token=$token" \
		--data-urlencode "login=$2" --data-urlencode "password=$3"
}
csrf_of() { # JAR PATH
	web "$1" GET "$2" >/dev/null
	sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1
}
body() { cat "$TEST_TMP/body"; }
fresh() { _uniq_n=$((_uniq_n + 1)); }

fresh
new_domain || {
	fail setup domain
	finish
}
D=$DOMAIN
DID=$(sql "SELECT id FROM domain WHERE name = '$D'")
api PATCH "/api/v1/domains/$D/archive-prefs" '{"enabled":true}' >/dev/null
fresh
new_domain || fail setup "other domain"
OTHER=$DOMAIN
PW=$(uniq_password)
fresh
OWN_LOGIN=$(uniq_name)a
api_admin_token "$OWN_LOGIN" "$PW" "$D" >/dev/null || fail setup "own admin"
fresh
FOREIGN_LOGIN=$(uniq_name)a
api_admin_token "$FOREIGN_LOGIN" "$PW" "$OTHER" >/dev/null || fail setup "foreign admin"

T0=$(date -u -d "2025-03-01 10:00" +%s)
for i in 1 2 3 4 5 6 7; do
	subj="Page message $i"
	[ "$i" = 3 ] && subj='<script>alert(1)</script> & "quotes"'
	printf 'From: p%s@sender.example\r\nTo: box@%s\r\nSubject: %s\r\nMessage-ID: <page%s.%s@x>\r\n\r\nBODYTOKEN%s\r\n' \
		"$i" "$D" "$subj" "$i" "$$" "$i" |
		"$ARCH" -c "$CASIER_CONFIG" store -f "p$i@sender.example" -r "box@$D" -a $((T0 + i * 3600)) >/dev/null
done
id_of() { sql "SELECT id FROM archive_message WHERE domain_id = $DID AND message_id = '<page$1.$$@x>'"; }

assert_eq "domain admin logs in" 303 "$(login own "$OWN_LOGIN" "$PW")"
assert_eq "list: 200" 200 "$(web own GET "/domains/$D/archive")"
assert_eq "list: newest first" "$(id_of 7) $(id_of 6) $(id_of 5)" \
	"$(grep -o '<tr data-id="[0-9]*"' "$TEST_TMP/body" | head -3 | grep -o '[0-9]*' | tr '\n' ' ' | sed 's/ $//')"
assert_contains "list: date, sender, subject, recipients" "$(body)" "2025-03-01 17:00:00"
assert_contains "list: sender" "$(body)" "p7@sender.example"
assert_contains "list: recipients" "$(body)" "box@$D"
assert_contains "list: hostile subject escaped" "$(body)" "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"
assert_not_contains "list: no raw script" "$(body)" "<script>alert(1)"
assert_not_contains "list: no content" "$(body)" "BODYTOKEN"
assert_contains "home: archive link" "$(web own GET / >/dev/null; body)" "/domains/$D/archive"

# rows per page
tok=$(csrf_of own "/domains/$D/archive-prefs")
st=$(web own POST "/domains/$D/archive-prefs" --data-urlencode "csrf_token=$tok" -d tier_gb=5 -d rows_list=5 -d rows_search=5)
assert_eq "prefs: saved" 303 "$st"
assert_eq "prefs: stored" "5|5|5" "$(sql "SELECT d.archive_tier_gb || '|' || p.rows_list || '|' || p.rows_search FROM domain d JOIN archive_pref p ON p.domain_id = d.id WHERE d.id = $DID")"
assert_eq "prefs: the domain admin cannot disable the archive" t "$(sql "SELECT archive_enabled FROM domain WHERE id = $DID")"
web own GET "/domains/$D/archive" >/dev/null
assert_eq "list: rows per page from the preference" 5 "$(grep -c '<tr data-id=' "$TEST_TMP/body")"
older=$(sed -n 's/.*<a href="\([^"]*\)" id="archive-older".*/\1/p' "$TEST_TMP/body" | sed 's/&amp;/\&/g')
if [ -n "$older" ]; then pass "list: older-messages link"; else fail "list: older-messages link" "none"; fi
web own GET "$older" >/dev/null
assert_eq "list: the older page" "$(id_of 2) $(id_of 1)" \
	"$(grep -o '<tr data-id="[0-9]*"' "$TEST_TMP/body" | grep -o '[0-9]*' | tr '\n' ' ' | sed 's/ $//')"
tok=$(csrf_of own "/domains/$D/archive-prefs")
st=$(web own POST "/domains/$D/archive-prefs" --data-urlencode "csrf_token=$tok" -d tier_gb=5 -d rows_list=2 -d rows_search=5)
assert_eq "prefs: out of range refused" 422 "$st"
st=$(web own POST "/domains/$D/archive-prefs" -d tier_gb=5 -d rows_list=20 -d rows_search=5)
assert_eq "prefs: no CSRF token refused" 403 "$st"

# search
web own GET "/domains/$D/archive?sender=P4%40SENDER&subject=message" >/dev/null
assert_eq "search: combined, case-insensitive" "$(id_of 4)" "$(grep -o '<tr data-id="[0-9]*"' "$TEST_TMP/body" | grep -o '[0-9]*' | tr '\n' ' ' | sed 's/ $//')"
web own GET "/domains/$D/archive?after=2025-03-01%2012:00&before=2025-03-01%2014:00" >/dev/null
assert_eq "search: date range" "$(id_of 3) $(id_of 2)" "$(grep -o '<tr data-id="[0-9]*"' "$TEST_TMP/body" | grep -o '[0-9]*' | tr '\n' ' ' | sed 's/ $//')"
st=$(web own GET "/domains/$D/archive?after=yesterday")
assert_eq "search: bad date shown next to the field" 422 "$st"

# details, re-send, delete
S5=$(id_of 5)
assert_eq "details: 200" 200 "$(web own GET "/domains/$D/archive/$S5")"
assert_contains "details: Message-ID" "$(body)" "&lt;page5.$$@x&gt;"
assert_not_contains "details: no content" "$(body)" "BODYTOKEN"
tok=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1)
st=$(web own POST "/domains/$D/archive/$S5/resend" --data-urlencode "csrf_token=$tok")
assert_eq "re-send: redirect" 303 "$st"
assert_eq "re-send: queued" 1 "$(sql "SELECT count(*) FROM archive_outbox WHERE message_id = $S5")"
assert_eq "delete: confirmation page" 200 "$(web own GET "/domains/$D/archive/$S5/delete")"
tok=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1)
st=$(web own POST "/domains/$D/archive/$S5/delete" --data-urlencode "csrf_token=$tok")
assert_eq "delete: without confirm refused" 400 "$st"
assert_eq "delete: still there" 1 "$(sql "SELECT count(*) FROM archive_message WHERE id = $S5")"
st=$(web own POST "/domains/$D/archive/$S5/delete" --data-urlencode "csrf_token=$tok" -d confirm=yes)
assert_eq "delete: confirmed" 303 "$st"
assert_eq "delete: row and blob gone" "0 0" "$(sql "SELECT count(*) FROM archive_message WHERE id = $S5") $(sql "SELECT count(*) FROM archive_blob WHERE message_id = $S5")"

# whitelist
tok=$(csrf_of own "/domains/$D/archive-prefs")
st=$(web own POST "/domains/$D/archive-whitelist" --data-urlencode "csrf_token=$tok" -d sender_domain=Oleane.NET)
assert_eq "whitelist: added" 303 "$st"
web own GET "/domains/$D/archive-prefs" >/dev/null
assert_contains "whitelist: shown" "$(body)" "oleane.net"
st=$(web own POST "/domains/$D/archive-whitelist" --data-urlencode "csrf_token=$tok" -d "sender_domain=not a domain")
assert_eq "whitelist: bad entry refused" 422 "$st"

# volumes dashboard: build one with tiny sizes
sed -e "s/^tier_unit = .*/tier_unit = 1/" -e "s/^volume_size = .*/volume_size = 1/" "$CASIER_CONFIG" >"$TEST_TMP/a.conf"
chmod 0644 "$TEST_TMP/a.conf"
"$ARCH" -c "$TEST_TMP/a.conf" -u casier maintain >/dev/null 2>&1
SERIAL=$(sql "SELECT serial FROM archive_volume WHERE domain_id = $DID ORDER BY id LIMIT 1")
assert_eq "volumes: 200" 200 "$(web own GET "/domains/$D/archive-volumes")"
assert_contains "volumes: serial listed" "$(body)" "$SERIAL"
st=$(web own GET "/domains/$D/archive-volumes/$SERIAL/download")
assert_eq "volumes: download" 200 "$st"
if zstd -q -t "$TEST_TMP/body"; then pass "volumes: the download is a zstd file"; else fail "volumes: the download is a zstd file" "not zstd"; fi
web own GET "/domains/$D/archive-volumes" >/dev/null
tok=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1)

# another domain's admin
assert_eq "foreign admin logs in" 303 "$(login foreign "$FOREIGN_LOGIN" "$PW")"
assert_eq "foreign: list 404" 404 "$(web foreign GET "/domains/$D/archive")"
assert_eq "foreign: search 404" 404 "$(web foreign GET "/domains/$D/archive?sender=p")"
assert_eq "foreign: details 404" 404 "$(web foreign GET "/domains/$D/archive/$(id_of 7)")"
assert_eq "foreign: prefs 404" 404 "$(web foreign GET "/domains/$D/archive-prefs")"
assert_eq "foreign: volumes 404" 404 "$(web foreign GET "/domains/$D/archive-volumes")"
assert_eq "foreign: download 404" 404 "$(web foreign GET "/domains/$D/archive-volumes/$SERIAL/download")"
assert_eq "foreign: message id through its own domain 404" 404 "$(web foreign GET "/domains/$OTHER/archive/$(id_of 7)")"
ftok=$(csrf_of foreign "/domains/$OTHER/archive-prefs")
assert_eq "foreign: receipt 404" 404 "$(web foreign POST "/domains/$D/archive-volumes/$SERIAL/received" --data-urlencode "csrf_token=$ftok")"

st=$(web own POST "/domains/$D/archive-volumes/$SERIAL/received" --data-urlencode "csrf_token=$tok")
assert_eq "volumes: receipt confirmed" 303 "$st"
assert_contains "volumes: receipt date" "$(sql "SELECT received_at IS NOT NULL FROM archive_volume WHERE serial = '$SERIAL'")" "t"

# superuser: enable checkbox
assert_eq "superuser logs in" 303 "$(login su "$CASIER_SUPERUSER" "$CASIER_SUPERUSER_PASSWORD")"
web su GET "/domains/$D/archive-prefs" >/dev/null
assert_contains "prefs: the superuser sees the enable switch" "$(body)" 'id="enabled"'
web own GET "/domains/$D/archive-prefs" >/dev/null
assert_not_contains "prefs: a domain admin does not" "$(body)" 'id="enabled"'

finish
