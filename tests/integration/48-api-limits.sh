#!/bin/bash
# 48-api-limits.sh - the HTTP core's limits, on a second casier-mgmtd
# (same database, a free port, tiny limits) so the shared stack keeps its
# own: connections per IP, idle timeout, body size (413), header size
# (memory per connection), and service again once the load is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

bin=$CASIER_BIN_DIR/mgmtd/casier-mgmtd
[ -x "$bin" ] || {
	fail "setup" "$bin not built"
	finish
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf=$TEST_TMP/limits.conf
{
	sed -e "s/^http_port = .*/http_port = $port/" -e 's/^https_port = .*/https_port = 0/' \
		-e '/^per_ip_connections = /d' -e '/^connection_timeout = /d' -e '/^max_body = /d' \
		-e '/^connection_memory = /d' -e '/^threads = /d' "$CASIER_CONFIG"
	printf '\n[web]\nper_ip_connections = 3\nconnection_timeout = 2s\nmax_body = 2k\nconnection_memory = 16k\nthreads = 1\n'
} >"$conf"
chmod 0644 "$conf"
"$bin" -c "$conf" >"$TEST_TMP/mgmtd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
U=http://127.0.0.1:$port
wait_for 10 curl -s -o /dev/null "$U/api/v1/domains" || fail "start" "$(tail -n 3 "$TEST_TMP/mgmtd.log")"
get() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $CASIER_API_TOKEN" "$U/api/v1/domains?limit=1"; }
assert_eq "serves with small limits" 200 "$(get)"

# three idle connections from 127.0.0.1 use the per-IP allowance
python3 - "$port" >"$TEST_TMP/py.out" 2>&1 <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
print("open", flush=True)
time.sleep(4)
PY
py=$!
wait_for 5 grep -q open "$TEST_TMP/py.out" || fail "idle sockets" "$(cat "$TEST_TMP/py.out")"
sleep 0.2
code=$(get)
case $code in 200) fail "4th connection from the same IP refused" "got 200" ;; *) pass "4th connection from the same IP refused ($code)" ;; esac
wait $py
sleep 0.3
assert_eq "served again once they are gone" 200 "$(get)"

# an idle connection is closed after connection_timeout (2 s)
res=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(8)
t = time.time()
try:
    d = s.recv(1)
    print("closed" if d == b"" else "data", round(time.time() - t))
except socket.timeout:
    print("open", 8)
PY
)
case $res in "closed "[1-4]) pass "idle connection closed by the timeout ($res s)" ;; *) fail "idle timeout" "$res" ;; esac

# body over max_body -> 413; at the limit -> processed
big=$(head -c 3000 /dev/zero | tr '\0' ' ')
code=$(curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
	-H 'Content-Type: application/json' --data-binary "{}$big" "$U/api/v1/domains")
assert_eq "body over max_body -> 413" 413 "$code"
small=$(head -c 1500 /dev/zero | tr '\0' ' ')
code=$(curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
	-H 'Content-Type: application/json' --data-binary "{}$small" "$U/api/v1/domains")
assert_eq "body under max_body is read (422: fields missing)" 422 "$code"
# a body without Content-Length: 413 at its end; an endless one is cut
code=$(head -c 5000 /dev/zero | tr '\0' ' ' | curl -s -o "$TEST_TMP/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- "$U/api/v1/domains")
assert_eq "chunked body over max_body -> 413" 413 "$code"
head -c 200000 /dev/zero | curl -s -o /dev/null -X POST -H "Authorization: Bearer $CASIER_API_TOKEN" \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- "$U/api/v1/domains" >/dev/null 2>&1
grep -q 'request body without end, closing' "$TEST_TMP/mgmtd.log" && pass "endless body cut after 16 x max_body" ||
	fail "endless body" "$(tail -n 2 "$TEST_TMP/mgmtd.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Pad: $(head -c 20000 /dev/zero | tr '\0' a)" \
	-H "Authorization: Bearer $CASIER_API_TOKEN" "$U/api/v1/domains")
case $code in 4*) pass "headers over the connection memory -> $code" ;; *) fail "header size" "got $code" ;; esac
assert_eq "still serving" 200 "$(get)"
kill -0 "$pid" 2>/dev/null && pass "daemon alive" || fail "daemon alive" "exited"
assert_eq "started as root, runs as casier" casier "$(ps -o user= -p "$pid" | tr -d ' ')"
if [ "$(id -u)" = 0 ]; then
	sed -e 's/^user = .*/user = root/' "$conf" >"$TEST_TMP/root2.conf"
	if timeout 10 "$bin" -c "$TEST_TMP/root2.conf" >"$TEST_TMP/root.log" 2>&1; then
		fail "refuses to serve as root" "exit 0"
	else
		grep -q 'refusing to run as root' "$TEST_TMP/root.log" && pass "refuses to serve as root" ||
			fail "refuses to serve as root" "$(tail -n 2 "$TEST_TMP/root.log")"
	fi
fi
grep -q 'access: 127.0.0.1 http POST /api/v1/domains 413' "$TEST_TMP/mgmtd.log" &&
	pass "access log line for the 413" || fail "access log" "$(grep access "$TEST_TMP/mgmtd.log" | tail -n 2)"
finish
