#!/bin/bash
# 82-vacation-page.sh - the vacation page of an account in the web manager
# (issue 5): subject prefilled with the localised "Absent" (fr) / "On
# vacation" (en), CR/LF in the subject refused next to the field (422)
# with nothing stored, a good form saved (303) and shown back with its
# state ("expired" when the last day has passed), HTML in the message
# escaped, removal.  Plain curl with a cookie jar and the CSRF token.
#
# Needs run/stack.env (CASIER_WEB_URL, CASIER_SUPERUSER, ...).  Prints
# PASS:/FAIL: lines.

set -u
: "${CASIER_WEB_URL:?source run/stack.env}" "${CASIER_API_TOKEN:?}" "${CASIER_TLS_CA:?}"
: "${CASIER_SUPERUSER:?}" "${CASIER_SUPERUSER_PASSWORD:?}"

failures=0
pass() { echo "PASS: vacation-page: $1"; }
fail() {
	echo "FAIL: vacation-page: $1: $2"
	failures=$((failures + 1))
}

id=$(($$ % 100000))
dom=vp$id.example.be
tmp=$(mktemp -d)
jar=$tmp/jar
page=$tmp/page.html
api() {
	curl -s --max-time 20 --cacert "$CASIER_TLS_CA" -o "$tmp/api.json" -w '%{http_code}' \
		-H "Authorization: Bearer $CASIER_API_TOKEN" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$CASIER_WEB_URL$2"
}
trap 'api DELETE "/api/v1/domains/$dom" >/dev/null; rm -rf "$tmp"' EXIT
web() { curl -s --max-time 20 --cacert "$CASIER_TLS_CA" -b "$jar" -c "$jar" "$@"; }
csrf() { grep -o 'name="csrf_token" value="[^"]*"' "$page" | head -n 1 | sed 's/.*value="//; s/"$//'; }

s=$(api POST /api/v1/domains "{\"name\":\"$dom\",\"prefix\":\"vp$id\",\"max_accounts\":5,\"default_quota_mb\":50}")
[ "$s" = 201 ] || {
	fail setup "domain: HTTP $s"
	exit 1
}
api POST "/api/v1/domains/$dom/accounts" '{"local_part":"lea","password":"Tr4vel-Blue-92"}' >/dev/null
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["username"])' "$tmp/api.json" 2>/dev/null)
[ -n "$user" ] || {
	fail setup "account"
	exit 1
}
url=$CASIER_WEB_URL/accounts/$user/vacation

web -o "$page" "$CASIER_WEB_URL/login"
s=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$(csrf)" \
	--data-urlencode "login=$CASIER_SUPERUSER" --data-urlencode "password=$CASIER_SUPERUSER_PASSWORD" \
	"$CASIER_WEB_URL/login")
[ "$s" = 303 ] || {
	fail login "HTTP $s"
	exit 1
}

web -o /dev/null "$CASIER_WEB_URL/lang/fr"
web -o "$page" "$url"
grep -q 'id="subject" name="subject" value="Absent"' "$page" &&
	pass "French page prefills the subject with Absent" || fail "fr default subject" "not Absent"
grep -q 'name="interval_days" value="7"' "$page" && pass "interval defaults to 7 days" ||
	fail "default interval" "not 7"
web -o /dev/null "$CASIER_WEB_URL/lang/en"
web -o "$page" "$url"
grep -q 'id="subject" name="subject" value="On vacation"' "$page" &&
	pass "English page prefills the subject with On vacation" || fail "en default subject" "not On vacation"

s=$(web -o "$page" -w '%{http_code}' --data-urlencode "csrf_token=$(csrf)" \
	--data-urlencode "subject=$(printf 'Away\r\nBcc: victim@example.net')" \
	--data-urlencode "body=<b>hi</b>" --data-urlencode "interval_days=7" "$url")
if [ "$s" = 422 ] && grep -q 'has-error' "$page" && grep -q 'single line' "$page" &&
	grep -q '&lt;b&gt;hi&lt;/b&gt;' "$page"; then
	pass "CR/LF in the subject -> 422 next to the field, message kept and escaped"
else
	fail "CR/LF in the subject" "HTTP $s"
fi
[ "$(api GET "/api/v1/accounts/$user/vacation")" = 404 ] && pass "the refused form stored nothing" ||
	fail "refused form" "a vacation exists"

s=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$(csrf)" \
	--data-urlencode "subject=Congés" --data-urlencode "body=Back on Monday." \
	--data-urlencode "end=2020-06-30" --data-urlencode "interval_days=3" "$url")
[ "$s" = 303 ] && pass "a good form is saved (303)" || fail "save" "HTTP $s"
s=$(api GET "/api/v1/accounts/$user/vacation")
if [ "$s" = 200 ] && python3 -c '
import json,sys
v=json.load(open(sys.argv[1]))
sys.exit(0 if (v["subject"],v["body"],v["end"],v["interval_days"],v["state"])==("Congés","Back on Monday.","2020-06-30",3,"expired") else 1)' "$tmp/api.json"; then
	pass "the stored vacation matches the form"
else
	fail "stored vacation" "HTTP $s $(cat "$tmp/api.json")"
fi
web -o "$page" "$url"
grep -q 'id="vacation-state"' "$page" && grep -q 'expired' "$page" &&
	pass "the page shows the vacation as expired" || fail "expired state" "not shown"

s=$(web -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$(csrf)" "$url/delete")
[ "$s" = 303 ] && [ "$(api GET "/api/v1/accounts/$user/vacation")" = 404 ] &&
	pass "the remove button removes the vacation" || fail "remove" "HTTP $s"
s=$(web -o /dev/null -w '%{http_code}' --data-urlencode "subject=x" --data-urlencode "body=y" "$url")
[ "$s" = 403 ] || [ "$s" = 400 ] && [ "$(api GET "/api/v1/accounts/$user/vacation")" = 404 ] &&
	pass "a POST without the CSRF token is refused ($s)" || fail "CSRF" "HTTP $s"

exit $((failures > 0))
