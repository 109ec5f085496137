#!/bin/bash
# 92-archive-download.sh - archive export volumes larger than mgmtd's
# in-memory response limit (64 MiB) are streamed from the file
# (http_response_file, MHD_create_response_from_fd64; docs/archive.md):
#  - an 80 MiB volume downloads whole and byte for byte through the API
#    over HTTPS and plain HTTP, and through the page (session), with
#    Content-Type, Content-Length, Content-Disposition and the security
#    headers; HEAD gives the length without the body;
#  - casier-mgmtd's resident memory does not grow by the file size;
#  - "downloaded" is set and the start of the download is audited;
#  - another domain's admin gets 404; a missing file 404; a symbolic
#    link (O_NOFOLLOW) and a FIFO (not a regular file, must not hang)
#    are refused with 503.
# The volume row and file are made here (the way casier-archive leaves
# them: a row with file_path under volume_dir, a 0640 file of user
# casier) because a real 80 MiB volume would need 80 MiB of mail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/4x-api-lib.inc"

base=${CASIER_WEB_URL%/}
plain=http://127.0.0.1:$CASIER_HTTP_PORT
VDIR=$(sed -n 's/^volume_dir = //p' "$CASIER_CONFIG")
PIDF=${CASIER_PID_DIR:-$(dirname "$CASIER_CONFIG")/pids}/mgmtd.pid
SIZE=$((80 * 1024 * 1024))
[ -d "$VDIR" ] && [ -s "$PIDF" ] || {
	fail setup "volume_dir ($VDIR) or $PIDF missing"
	finish
}
fresh() { _uniq_n=$((_uniq_n + 1)); }
rss_kb() { ps -o rss= -p "$(cat "$PIDF")" | tr -d ' '; }
hdr() { # FILE NAME: a response header's value (last one, CR stripped)
	tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | tail -n 1
}
# dl URL OUT [curl args]: GET with the superuser token; status on stdout,
# headers in OUT.hdr
dl() {
	local url=$1 out=$2
	shift 2
	_curl --max-time 120 -H "Authorization: Bearer $CASIER_API_TOKEN" -D "$out.hdr" -o "$out" \
		-w '%{http_code}' "$@" "$url" || true
}
# volume SERIAL PATH: a volume row of domain $DID whose file is PATH
volume() {
	sql "INSERT INTO archive_volume (domain_id, serial, messages, size_bytes, file_name, file_path) VALUES ($DID, '$1', 1, $SIZE, '$(basename "$2")', '$2') RETURNING id"
}

fresh
new_domain || {
	fail setup domain
	finish
}
D=$DOMAIN
DID=$(sql "SELECT id FROM domain WHERE name = '$D'")
api PATCH "/api/v1/domains/$D/archive-prefs" '{"enabled":true}' >/dev/null
assert_eq "setup: archive enabled" 200 "$(api_status)"
fresh
new_domain || fail setup "other domain"
OTHER=$DOMAIN
PW=$(uniq_password)
fresh
FOREIGN=$(api_admin_token "$(uniq_name)a" "$PW" "$OTHER") || fail setup "foreign admin"
fresh
OWN_LOGIN=$(uniq_name)a
OWN=$(api_admin_token "$OWN_LOGIN" "$PW" "$D") || fail setup "own admin"

SERIAL=$(printf 'DL%d%05d' $$ $RANDOM | cut -c1-16)
VFILE=$VDIR/$D-$SERIAL.tar.zst
runuser -u casier -- sh -c "umask 027 && head -c $SIZE /dev/urandom >'$VFILE'"
WANT=$(sha256sum <"$VFILE" | cut -d' ' -f1)
VID=$(volume "$SERIAL" "$VFILE")
URL=/api/v1/domains/$D/archive-volumes/$SERIAL/download

# warm up the daemon (threads, TLS sessions, pool connections) first
for i in 1 2 3; do api GET "/api/v1/domains/$D/archive-volumes" >/dev/null; done
RSS0=$(rss_kb)

# --- HTTPS ---------------------------------------------------------------------------
st=$(dl "$base$URL" "$TEST_TMP/https.bin")
assert_eq "https: download 200" 200 "$st"
assert_eq "https: the whole file, byte for byte (sha256)" "$WANT" "$(sha256sum <"$TEST_TMP/https.bin" | cut -d' ' -f1)"
H=$TEST_TMP/https.bin.hdr
assert_eq "https: Content-Type" "application/zstd" "$(hdr "$H" content-type)"
assert_eq "https: Content-Length" "$SIZE" "$(hdr "$H" content-length)"
assert_eq "https: Content-Disposition from domain and serial" \
	"attachment; filename=\"$D-$SERIAL.tar.zst\"" "$(hdr "$H" content-disposition)"
assert_eq "https: nosniff" nosniff "$(hdr "$H" x-content-type-options)"
assert_eq "https: no-store" no-store "$(hdr "$H" cache-control)"
assert_contains "https: CSP" "$(hdr "$H" content-security-policy)" "frame-ancestors 'none'"
assert_contains "https: HSTS" "$(hdr "$H" strict-transport-security)" "max-age="
RSS1=$(rss_kb)
growth=$(((RSS1 - RSS0) / 1024))
if [ "$growth" -lt 40 ]; then
	pass "https: mgmtd RSS grew by less than 40 MiB for an 80 MiB file ($RSS0 -> $RSS1 KiB)"
else
	fail "https: mgmtd RSS grew by less than 40 MiB for an 80 MiB file" "$RSS0 -> $RSS1 KiB"
fi
assert_contains "downloaded_at set" "$(sql "SELECT downloaded_at FROM archive_volume WHERE id = $VID")" ":"
assert_eq "download audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'archive.volume.download' AND object = '$SERIAL'")"

# --- plain HTTP (sendfile) ---------------------------------------------------------------
st=$(dl "$plain$URL" "$TEST_TMP/http.bin")
assert_eq "http: download 200" 200 "$st"
assert_eq "http: the whole file, byte for byte (sha256)" "$WANT" "$(sha256sum <"$TEST_TMP/http.bin" | cut -d' ' -f1)"
assert_eq "http: Content-Length" "$SIZE" "$(hdr "$TEST_TMP/http.bin.hdr" content-length)"
assert_eq "http: nosniff" nosniff "$(hdr "$TEST_TMP/http.bin.hdr" x-content-type-options)"
rm -f "$TEST_TMP/http.bin"

# --- HEAD, the domain's own admin, another domain's admin ---------------------------------
# two HEADs on one connection: a body after the first would be read as
# the second answer
st=$(dl "$base$URL" "$TEST_TMP/head.bin" -I -o "$TEST_TMP/head2.bin" "$base$URL")
assert_eq "head: 200 twice on one connection (no body sent)" 200200 "$st"
assert_eq "head: Content-Length of the file" "$SIZE" "$(hdr "$TEST_TMP/head.bin.hdr" content-length)"
_curl --max-time 120 -H "Authorization: Bearer $OWN" -o "$TEST_TMP/own.bin" -w '%{http_code}' "$base$URL" >"$TEST_TMP/own.st" || true
assert_eq "own admin: download 200" 200 "$(cat "$TEST_TMP/own.st")"
assert_eq "own admin: same bytes" "$WANT" "$(sha256sum <"$TEST_TMP/own.bin" | cut -d' ' -f1)"
rm -f "$TEST_TMP/own.bin"
expect_as "other admin: download 404" "$FOREIGN" 404 GET "$URL"
assert_not_contains "other admin: no file bytes" "$(head -c 200 "$TEST_TMP/api.body" | tr -d '\0')" "$(head -c 8 "$VFILE" | tr -d '\0')"

# --- the page (session) ------------------------------------------------------------------
jar=$TEST_TMP/jar
_curl -c "$jar" -b "$jar" -o "$TEST_TMP/body" "$base/login"
tok=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$TEST_TMP/body" | head -1)
st=$(_curl -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "csrf_token=$tok" \
	--data-urlencode "login=$OWN_LOGIN" --data-urlencode "password=$PW" "$base/login")
assert_eq "page: own admin logs in" 303 "$st"
st=$(_curl --max-time 120 -c "$jar" -b "$jar" -D "$TEST_TMP/page.hdr" -o "$TEST_TMP/page.bin" -w '%{http_code}' \
	"$base/domains/$D/archive-volumes/$SERIAL/download" || true)
assert_eq "page: download 200" 200 "$st"
assert_eq "page: the whole file (sha256)" "$WANT" "$(sha256sum <"$TEST_TMP/page.bin" | cut -d' ' -f1)"
assert_eq "page: Content-Disposition" "attachment; filename=\"$D-$SERIAL.tar.zst\"" "$(hdr "$TEST_TMP/page.hdr" content-disposition)"
rm -f "$TEST_TMP/page.bin" "$TEST_TMP/https.bin"

# --- files that are not there or not regular files ------------------------------------
S2=$(printf 'DM%d%05d' $$ $RANDOM | cut -c1-16)
volume "$S2" "$VDIR/$D-$S2-missing.tar.zst" >/dev/null
st=$(dl "$base/api/v1/domains/$D/archive-volumes/$S2/download" "$TEST_TMP/missing.bin")
assert_eq "missing file: 404" 404 "$st"
S3=$(printf 'DS%d%05d' $$ $RANDOM | cut -c1-16)
ln -s "$VFILE" "$VDIR/$D-$S3.tar.zst"
volume "$S3" "$VDIR/$D-$S3.tar.zst" >/dev/null
st=$(dl "$base/api/v1/domains/$D/archive-volumes/$S3/download" "$TEST_TMP/link.bin")
assert_eq "symbolic link: refused (O_NOFOLLOW) with 503" 503 "$st"
assert_eq "symbolic link: no file bytes" "" "$(hdr "$TEST_TMP/link.bin.hdr" content-disposition)"
S4=$(printf 'DF%d%05d' $$ $RANDOM | cut -c1-16)
mkfifo -m 0640 "$VDIR/$D-$S4.tar.zst" && chown casier "$VDIR/$D-$S4.tar.zst"
volume "$S4" "$VDIR/$D-$S4.tar.zst" >/dev/null
st=$(dl "$base/api/v1/domains/$D/archive-volumes/$S4/download" "$TEST_TMP/fifo.bin")
assert_eq "FIFO: refused at once with 503 (no wait for a writer)" 503 "$st"
check "mgmtd still answers" mgmtd_alive

sql "DELETE FROM archive_volume WHERE domain_id = $DID" >/dev/null
rm -f "$VFILE" "$VDIR/$D-$S3.tar.zst" "$VDIR/$D-$S4.tar.zst"
finish
