#!/bin/bash
# 44-api-authz.sh - the authorisation matrix of the JSON API: every
# endpoint x role {superuser, domain admin on its own domain, domain
# admin on a foreign domain, no token, bad token}, asserting the exact
# status each time (DESIGN section 9: another domain's object -> 404,
# superuser-only -> 403, no/bad token -> 401).  A refused DELETE must
# leave its object in place.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

n=$(uniq_name)
A="a$n.example"
B="b$n.example"
PA="a$(printf '%s' "$n" | tail -c 12)"
PB="b$(printf '%s' "$n" | tail -c 12)"
PW=$(uniq_password)
api_domain "$A" "$PA" 1000 10 || fail "setup" "domain A"
api_domain "$B" "$PB" 1000 10 || fail "setup" "domain B"
BODY=$(api POST "/api/v1/domains/$A/accounts" "{\"local_part\":\"owner\",\"password\":\"$PW\"}")
U=$(jq_get .username)
api POST "/api/v1/domains/$A/aliases" '{"local_part":"info","targets":[]}' >/dev/null
OWN_LOGIN="own$n"
FOREIGN_LOGIN="for$n"
OWN=$(api_admin_token "$OWN_LOGIN" "$PW" "$A") || fail "setup" "own admin"
FOREIGN=$(api_admin_token "$FOREIGN_LOGIN" "$PW" "$B") || fail "setup" "foreign admin"
VICTIM="vic$n"
api POST /api/v1/admins "{\"login\":\"$VICTIM\",\"password\":\"$PW\",\"domains\":[\"$A\"]}" >/dev/null
[ -n "$U" ] && [ -n "$OWN" ] && [ -n "$FOREIGN" ] || {
	fail "setup" "fixtures missing"
	finish
}
BAD="cst_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"

seq_n=0
FRESH=""
# --- preparations (run as superuser before each call) ---
prep_none() { FRESH=""; }
prep_domain_own() {
	seq_n=$((seq_n + 1))
	FRESH="f$seq_n-$n.example"
	api_domain "$FRESH" "f$seq_n$(printf '%s' "$n" | tail -c 10)" 1 1 >/dev/null
	api PATCH "/api/v1/admins/$OWN_LOGIN" "{\"domains\":[\"$A\",\"$FRESH\"]}" >/dev/null
}
prep_alias_domain() {
	seq_n=$((seq_n + 1))
	FRESH="x$seq_n-$A"
	api POST "/api/v1/domains/$A/alias-domains" "{\"name\":\"$FRESH\"}" >/dev/null
}
prep_account() {
	seq_n=$((seq_n + 1))
	BODY=$(api POST "/api/v1/domains/$A/accounts" "{\"local_part\":\"fresh$seq_n\",\"password\":\"$PW\"}")
	FRESH=$(jq_get .username)
}
prep_redirect() {
	FRESH=""
	api PUT "/api/v1/accounts/$U/redirect" '{"targets":["r@remote.example"]}' >/dev/null
}
prep_catchall() {
	FRESH=""
	api PUT "/api/v1/domains/$A/catchall" "{\"username\":\"$U\"}" >/dev/null
}
prep_alias() {
	seq_n=$((seq_n + 1))
	FRESH="al$seq_n@$A"
	api POST "/api/v1/domains/$A/aliases" "{\"local_part\":\"al$seq_n\",\"targets\":[]}" >/dev/null
}
prep_vacation() {
	FRESH=""
	api PUT "/api/v1/accounts/$U/vacation" '{"subject":"Away","body":"Back on Monday."}' >/dev/null
}
prep_admin() {
	seq_n=$((seq_n + 1))
	FRESH="adm$seq_n$n"
	api POST /api/v1/admins "{\"login\":\"$FRESH\",\"password\":\"$PW\",\"domains\":[]}" >/dev/null
}

# subst TEXT: placeholders @A@ @B@ @U@ @F@ @N@ @V@
subst() {
	local s=$1
	s=${s//@A@/$A}
	s=${s//@U@/$U}
	s=${s//@F@/$FRESH}
	s=${s//@V@/$VICTIM}
	s=${s//@N@/n$seq_n$RANDOM}
	printf '%s' "$s"
}

# row PREP METHOD PATH BODY SUPER OWN FOREIGN [CHECK_PATH]
# CHECK_PATH: for deletions, a GET (as superuser) that must still give 200
# after a refused call.
row() {
	local prep=$1 method=$2 path=$3 body=$4 s=$5 o=$6 f=$7 checkp=${8:-}
	local role token want p b got
	for role in none bad foreign own super; do
		case $role in
		super) token=$CASIER_API_TOKEN want=$s ;;
		own) token=$OWN want=$o ;;
		foreign) token=$FOREIGN want=$f ;;
		none) token="" want=401 ;;
		bad) token=$BAD want=401 ;;
		esac
		seq_n=$((seq_n + 1))
		"$prep"
		p=$(subst "$path")
		b=$(subst "$body")
		if [ -n "$b" ]; then
			api_as "$token" "$method" "$p" "$b" >/dev/null
		else
			api_as "$token" "$method" "$p" >/dev/null
		fi
		got=$(api_status)
		assert_eq "$method $path as $role" "$want" "$got"
		if [ -n "$checkp" ] && [ "${want:0:1}" != 2 ]; then
			api GET "$(subst "$checkp")" >/dev/null
			assert_eq "$method $path as $role changed nothing" 200 "$(api_status)"
		fi
	done
}

#   prep             method path                                  body                                                      super own foreign
row prep_none        GET    /api/v1/domains                       ''                                                        200   200 200
row prep_none        POST   /api/v1/domains                       '{"name":"@N@.example","prefix":"@N@","max_accounts":1,"default_quota_mb":1}' 201 403 403
row prep_none        GET    /api/v1/domains/@A@                   ''                                                        200   200 404
row prep_none        PATCH  /api/v1/domains/@A@                   '{"max_accounts":999}'                                    200   403 404
row prep_domain_own  DELETE /api/v1/domains/@F@                   ''                                                        204   403 404 /api/v1/domains/@F@
row prep_none        POST   /api/v1/domains/@A@/alias-domains     '{"name":"@N@.@A@"}'                                      201   403 404
row prep_alias_domain DELETE /api/v1/domains/@A@/alias-domains/@F@ ''                                                       204   403 404 /api/v1/domains/@F@
row prep_none        POST   /api/v1/domains/@A@/accounts          "{\"local_part\":\"@N@\",\"password\":\"$PW\"}"           201   201 404
row prep_none        GET    /api/v1/domains/@A@/accounts          ''                                                        200   200 404
row prep_none        GET    /api/v1/accounts/@U@                  ''                                                        200   200 404
row prep_none        GET    /api/v1/accounts/owner@@A@            ''                                                        200   200 404
row prep_none        PATCH  /api/v1/accounts/@U@                  '{"quota_mb":5}'                                          200   200 404
row prep_account     DELETE /api/v1/accounts/@F@                  ''                                                        204   204 404 /api/v1/accounts/@F@
row prep_redirect    GET    /api/v1/accounts/@U@/redirect         ''                                                        200   200 404
row prep_none        PUT    /api/v1/accounts/@U@/redirect         '{"targets":["x@remote.example"],"keep_copy":true}'      200   200 404
row prep_redirect    DELETE /api/v1/accounts/@U@/redirect         ''                                                        204   204 404 /api/v1/accounts/@U@/redirect
row prep_vacation    GET    /api/v1/accounts/@U@/vacation         ''                                                        200   200 404
row prep_none        PUT    /api/v1/accounts/@U@/vacation         '{"subject":"Away","body":"Back on Monday."}'             200   200 404
row prep_vacation    DELETE /api/v1/accounts/@U@/vacation         ''                                                        204   204 404 /api/v1/accounts/@U@/vacation
row prep_none        POST   /api/v1/accounts/@U@/unblock          ''                                                        200   200 404
row prep_none        GET    /api/v1/accounts/@U@/report           ''                                                        200   200 404
row prep_none        POST   /api/v1/accounts/@U@/bulk-requests    '{"justification":"newsletter","limit_per_hour":10,"start":"2030-01-01","end":"2030-01-02"}' 201 201 404
row prep_none        PUT    /api/v1/domains/@A@/catchall          '{"username":"@U@"}'                                      200   200 404
row prep_catchall    DELETE /api/v1/domains/@A@/catchall          ''                                                        204   204 404
row prep_none        POST   /api/v1/domains/@A@/aliases           '{"local_part":"@N@","targets":["@U@"]}'                  201   201 404
row prep_none        GET    /api/v1/domains/@A@/aliases           ''                                                        200   200 404
row prep_none        GET    /api/v1/aliases/info@@A@              ''                                                        200   200 404
row prep_none        GET    /api/v1/aliases/info%40@A@            ''                                                        200   200 404
row prep_none        PUT    /api/v1/aliases/info@@A@              '{"targets":["@U@"]}'                                     200   200 404
row prep_alias       DELETE /api/v1/aliases/@F@                   ''                                                        204   204 404 /api/v1/aliases/@F@
row prep_none        POST   /api/v1/admins                        "{\"login\":\"@N@\",\"password\":\"$PW\",\"domains\":[]}" 201   403 403
row prep_none        GET    /api/v1/admins                        ''                                                        200   403 403
row prep_none        GET    /api/v1/admins/@V@                    ''                                                        200   403 403
row prep_none        PATCH  /api/v1/admins/@V@                    '{"language":"en"}'                                       200   403 403
row prep_admin       DELETE /api/v1/admins/@F@                    ''                                                        204   403 403 /api/v1/admins/@F@
row prep_none        POST   /api/v1/admins/@V@/tokens             '{"name":"matrix"}'                                       201   403 403
row prep_none        GET    /api/v1/tokens                        ''                                                        200   200 200
row prep_none        GET    /api/v1/domains/@A@/export.csv        ''                                                        200   200 404
row prep_none        GET    /api/v1/audit                         ''                                                        200   200 200

# another domain's object is 404 whatever the body (checked first)
for what in "PUT /api/v1/accounts/$U/vacation {\"subject\":\"\",\"body\":\"x\"}" \
	"POST /api/v1/accounts/$U/bulk-requests {\"justification\":\"\",\"limit_per_hour\":0,\"start\":\"x\",\"end\":\"y\"}" \
	"PUT /api/v1/accounts/$U/redirect {\"targets\":[]}" "PATCH /api/v1/accounts/$U {\"quota_mb\":-1}"; do
	set -- $what
	api_as "$FOREIGN" "$1" "$2" "$3" >/dev/null
	assert_eq "foreign $1 $2 with a refused body -> 404" 404 "$(api_status)"
done

# what a domain admin sees is limited to its domains
BODY=$(api_as "$OWN" GET "/api/v1/domains?limit=500")
assert_eq "own admin lists only its domains" "0" "$(jq_get "[.items[].name | select(. != \"$A\" and (startswith(\"f\") | not))] | length")"
assert_not_contains "own admin does not list B" "$BODY" "\"$B\""
BODY=$(api_as "$FOREIGN" GET "/api/v1/audit?limit=500")
assert_eq "foreign admin reads its audit log" 200 "$(api_status)"
assert_not_contains "foreign admin's audit log hides A" "$BODY" "$A"
BODY=$(api_as "$OWN" GET "/api/v1/audit?limit=500")
assert_contains "own admin's audit log shows A" "$BODY" "$A"
finish
