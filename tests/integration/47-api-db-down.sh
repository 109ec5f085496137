#!/bin/bash
# 47-api-db-down.sh - with PostgreSQL unreachable the API answers 503
# with a JSON error (never 401/404 or a crash), and it keeps serving.  A
# second casier-mgmtd with a bogus conninfo on a free port, so the shared
# stack is not disturbed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

bin=$CASIER_BIN_DIR/mgmtd/casier-mgmtd
[ -x "$bin" ] || {
	fail "setup" "$bin not built"
	finish
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf=$TEST_TMP/down.conf
sed -e 's/^conninfo = .*/conninfo = host=\/nonexistent port=1 dbname=casier user=casier connect_timeout=2/' \
	-e "s/^http_port = .*/http_port = $port/" -e 's/^https_port = .*/https_port = 0/' \
	-e 's/^auth_flush_command = .*/auth_flush_command =/' "$CASIER_CONFIG" >"$conf"
chmod 0644 "$conf"
"$bin" -c "$conf" >"$TEST_TMP/mgmtd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/domains" || fail "start" "$(tail -n 3 "$TEST_TMP/mgmtd.log")"
U=http://127.0.0.1:$port
for what in "GET /api/v1/domains" "GET /api/v1/accounts/x0001" "DELETE /api/v1/accounts/x0001"; do
	set -- $what
	code=$(curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $CASIER_API_TOKEN" "$U$2")
	assert_eq "database down: $what -> 503" 503 "$code"
	assert_eq "database down: $what JSON error" temporary_failure "$(jq -r .error.code "$TEST_TMP/b")"
done
code=$(curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "{\"login\":\"$CASIER_SUPERUSER\",\"password\":\"$CASIER_SUPERUSER_PASSWORD\"}" "$U/api/v1/tokens")
assert_eq "database down: POST /tokens -> 503, not 401" 503 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/domains")
assert_eq "database down: no token is still 401" 401 "$code"
kill -0 "$pid" 2>/dev/null && pass "daemon alive after database errors" || fail "daemon alive" "exited"
grep -q 'database unavailable' "$TEST_TMP/mgmtd.log" && pass "database trouble logged" || fail "logged" "$(tail -n 3 "$TEST_TMP/mgmtd.log")"
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# A database error in the middle of a request (here a lock timeout on
# the domain row, held by another transaction) is 503 too, never 404.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/^conninfo = \(.*\)/conninfo = \1 options='-c lock_timeout=300'/" \
	-e "s/^http_port = .*/http_port = $port2/" -e 's/^https_port = .*/https_port = 0/' \
	-e 's/^auth_flush_command = .*/auth_flush_command =/' "$CASIER_CONFIG" >"$TEST_TMP/lock.conf"
chmod 0644 "$TEST_TMP/lock.conf"
"$bin" -c "$TEST_TMP/lock.conf" >"$TEST_TMP/mgmtd2.log" 2>&1 &
pid=$!
U=http://127.0.0.1:$port2
wait_for 10 curl -s -o /dev/null "$U/api/v1/domains" || fail "start 2" "$(tail -n 3 "$TEST_TMP/mgmtd2.log")"
n=$(uniq_name)
LD="l$n.example"
api_domain "$LD" "l$(printf '%s' "$n" | tail -c 12)" 5 1 || fail "setup" "lock domain"
api POST "/api/v1/domains/$LD/aliases" '{"local_part":"info","targets":[]}' >/dev/null
sql "BEGIN; SELECT 1 FROM domain WHERE name = '$LD' FOR UPDATE; SELECT pg_sleep(4); COMMIT;" >/dev/null 2>&1 &
locker=$!
sleep 1
code=$(curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $CASIER_API_TOKEN" "$U/api/v1/aliases/info@$LD")
assert_eq "lock timeout: DELETE /aliases/{address} -> 503, not 404" 503 "$code"
wait $locker
api GET "/api/v1/aliases/info@$LD" >/dev/null
assert_eq "lock timeout: the alias is still there" 200 "$(api_status)"
finish
