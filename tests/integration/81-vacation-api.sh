#!/bin/bash
# 81-vacation-api.sh - the vacation endpoints of the JSON API end to end
# (DESIGN sections 5 and 9, issue 5): PUT/GET/DELETE
# /api/v1/accounts/{username}/vacation, validation (422 with the field,
# CR/LF in the subject included), the old manager's "Subject:" first
# line, the "expired" state, and the script appearing and disappearing
# through the vacation.sync job consumer that the stack runs
# (casier-vacation-sync --listen or casier-deliverd), with a real reply.
#
# Needs run/stack.env (CASIER_WEB_URL, CASIER_API_TOKEN, ...); root to
# read the mail store.  Prints PASS:/FAIL: lines.

set -u
: "${CASIER_WEB_URL:?source run/stack.env}" "${CASIER_API_TOKEN:?}" "${CASIER_TLS_CA:?}"
: "${CASIER_SMTP_PORT:?}" "${CASIER_IMAPS_PORT:?}" "${CASIER_MAIL_ROOT:?}"

failures=0
pass() { echo "PASS: vacation-api: $1"; }
fail() {
	echo "FAIL: vacation-api: $1: $2"
	failures=$((failures + 1))
}

id=$(($$ % 100000))
dom=va$id.example.be
sdom=vb$id.example.be
pw='Tr4vel-Blue-92'
out=$(mktemp)
trap 'rm -f "$out"; api DELETE "/api/v1/domains/$dom" >/dev/null; api DELETE "/api/v1/domains/$sdom" >/dev/null' EXIT

# api METHOD PATH [JSON]: prints the HTTP status; the body goes to $out.
api() {
	local args=(-s --max-time 20 --cacert "$CASIER_TLS_CA" -o "$out" -w '%{http_code}'
		-H "Authorization: Bearer $CASIER_API_TOKEN" -X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "$CASIER_WEB_URL$2"
}
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); 
for k in sys.argv[2].split("."): v=v[k]
print("" if v is None else v)' "$out" "$1" 2>/dev/null; }

for d in "$dom:va$id" "$sdom:vb$id"; do
	s=$(api POST /api/v1/domains "{\"name\":\"${d%%:*}\",\"prefix\":\"${d##*:}\",\"max_accounts\":5,\"default_quota_mb\":50}")
	[ "$s" = 201 ] || {
		fail setup "domain ${d%%:*}: HTTP $s $(cat "$out")"
		exit 1
	}
done
api POST "/api/v1/domains/$dom/accounts" "{\"local_part\":\"paul\",\"password\":\"$pw\"}" >/dev/null
user=$(field username)
api POST "/api/v1/domains/$sdom/accounts" "{\"local_part\":\"writer\",\"password\":\"$pw\"}" >/dev/null
suser=$(field username)
[ -n "$user" ] && [ -n "$suser" ] || {
	fail setup "cannot create the accounts: $(cat "$out")"
	exit 1
}
script=$CASIER_MAIL_ROOT/$dom/$user/.casier/vacation.sieve

# wait (bounded) until the script exists (1) or is gone (0)
wait_script() {
	for _ in $(seq 1 100); do
		if [ "$1" = 1 ] && [ -f "$script" ]; then return 0; fi
		if [ "$1" = 0 ] && [ ! -e "$script" ]; then return 0; fi
		sleep 0.1
	done
	return 1
}

# --- validation -----------------------------------------------------------------
check_422() { # NAME FIELD JSON
	local s
	s=$(api PUT "/api/v1/accounts/$user/vacation" "$3")
	if [ "$s" = 422 ] && [ "$(field error.field)" = "$2" ]; then
		pass "$1 -> 422 ($2)"
	else
		fail "$1" "HTTP $s $(cat "$out")"
	fi
}
check_422 "CR/LF in the subject" subject '{"subject":"Hi\r\nBcc: victim@example.net","body":"x"}'
check_422 "LF in the subject" subject '{"subject":"Hi\nthere","body":"x"}'
check_422 "control character in the subject" subject '{"subject":"a\u0007b","body":"x"}'
check_422 "CR/LF in a Subject: first line" subject '{"subject":"ok","body":"Subject: a\rb\n\nx"}'
check_422 "missing subject" subject '{"body":"x"}'
check_422 "bad start date" start '{"subject":"a","body":"x","start":"2026-13-01"}'
check_422 "end before start" end '{"subject":"a","body":"x","start":"2026-05-02","end":"2026-05-01"}'
check_422 "interval 0" interval_days '{"subject":"a","body":"x","interval_days":0}'
check_422 "interval 366" interval_days '{"subject":"a","body":"x","interval_days":366}'
check_422 "unknown field" username '{"subject":"a","body":"x","username":"x"}'
if [ ! -e "$script" ] && [ "$(api GET "/api/v1/accounts/$user/vacation")" = 404 ]; then
	pass "refused forms change nothing"
else
	fail "refused forms" "a vacation or a script exists"
fi

# --- set, compatibility subject line, reply ----------------------------------------
s=$(api PUT "/api/v1/accounts/$user/vacation" \
	'{"subject":"Absent","body":"Subject: On vacation messages\n\nBack on \"Monday\" \\o/\n.\nPaul","interval_days":2}')
if [ "$s" = 200 ] && [ "$(field subject)" = "On vacation messages" ] &&
	[ "$(field state)" = active ] && [ "$(field interval_days)" = 2 ]; then
	pass "PUT sets the vacation; a Subject: first line sets the subject"
else
	fail "PUT" "HTTP $s $(cat "$out")"
fi
[ "$(field body)" = $'Back on "Monday" \\o/\n.\nPaul' ] && pass "the Subject: line is removed from the body" ||
	fail "body" "$(field body)"
if wait_script 1; then
	pass "the script is installed by the job consumer"
else
	fail "script" "$script did not appear within 10 s"
fi
mid="api$id.$(date +%s%N)@$sdom"
swaks --server "127.0.0.1:$CASIER_SMTP_PORT" --silent 2 --from "writer@$sdom" --to "paul@$dom" \
	--header "Message-Id: <$mid>" --h-Subject "question" --body "hello" >/dev/null 2>&1
uids=
for _ in $(seq 1 75); do
	uids=$(curl -s --max-time 20 --cacert "$CASIER_TLS_CA" -u "$suser:$pw" \
		"imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX" -X "UID SEARCH HEADER In-Reply-To \"<$mid>\"" |
		tr -d '\r' | sed -n 's/^\* SEARCH *//p')
	[ -n "$uids" ] && break
	sleep 0.2
done
if [ -n "$uids" ]; then
	msg=$(curl -s --max-time 20 --cacert "$CASIER_TLS_CA" -u "$suser:$pw" \
		"imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX;UID=${uids%% *}" | tr -d '\r')
	printf '%s\n' "$msg" | grep -q '^Subject: On vacation messages$' &&
		printf '%s\n' "$msg" | grep -q "^From: paul@$dom\$" &&
		printf '%s\n' "$msg" | grep -qF 'Back on "Monday" \o/' &&
		pass "the reply carries the form's subject, body and From" ||
		fail "reply" "unexpected reply: $(printf '%s\n' "$msg" | head -n 20)"
else
	fail "reply" "no reply reached $suser"
fi

# --- expired -----------------------------------------------------------------------------
s=$(api PUT "/api/v1/accounts/$user/vacation" '{"subject":"Away","body":"x","end":"2020-01-31"}')
[ "$s" = 200 ] && [ "$(field state)" = expired ] && pass "an end date in the past shows expired" ||
	fail "expired" "HTTP $s $(cat "$out")"
s=$(api GET "/api/v1/accounts/$user/vacation")
[ "$s" = 200 ] && [ "$(field state)" = expired ] && [ "$(field end)" = 2020-01-31 ] &&
	pass "GET shows expired" || fail "GET expired" "HTTP $s $(cat "$out")"
s=$(api GET "/api/v1/accounts/$user")
[ "$s" = 200 ] && [ "$(field vacation)" = True ] && pass "the account shows vacation: true" ||
	fail "account vacation flag" "HTTP $s $(cat "$out")"

# --- delete --------------------------------------------------------------------------------
s=$(api DELETE "/api/v1/accounts/$user/vacation")
[ "$s" = 204 ] && pass "DELETE -> 204" || fail "DELETE" "HTTP $s $(cat "$out")"
if wait_script 0; then
	pass "deleting the vacation removes the script"
else
	fail "delete" "$script still there after 10 s"
fi
s=$(api DELETE "/api/v1/accounts/$user/vacation")
[ "$s" = 404 ] && pass "DELETE again -> 404" || fail "DELETE again" "HTTP $s"
s=$(api PUT "/api/v1/accounts/nosuch99999/vacation" '{"subject":"a","body":"x"}')
[ "$s" = 404 ] && pass "unknown account -> 404" || fail "unknown account" "HTTP $s"

exit $((failures > 0))
