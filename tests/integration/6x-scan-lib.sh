#!/bin/bash
# 6x-scan-lib.sh - helpers shared by the 6N-scan-*.sh integration tests
# (casier-milter, issue 7).  Sourced by them; running it does nothing.
# Needs run/stack.env in the environment (tools/test does that) or
# CASIER_RUN_DIR pointing at a running stack.
#
# The tests use their own domain scan.test with one account (alice),
# created directly in SQL with a Dovecot-made Argon2id hash, so they do
# not depend on the web manager.

[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0

scan_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${CASIER_SMTP_PORT:-}" ]; then
	env_file=${CASIER_RUN_DIR:-$scan_src/run}/stack.env
	[ -f "$env_file" ] || {
		echo "FAIL: scan: no stack.env ($env_file): start the stack with tools/up"
		exit 1
	}
	set -a
	# shellcheck disable=SC1090
	. "$env_file"
	set +a
fi
: "${CASIER_PID_DIR:=$CASIER_RUN_DIR/pids}"

SCAN_DOMAIN=scan.test
SCAN_USER=scantest0001
SCAN_ADDR=alice@$SCAN_DOMAIN
SCAN_PASSWORD=Scan-Test-Pw-42
SCAN_MAILDIR=$CASIER_MAIL_ROOT/$SCAN_DOMAIN/$SCAN_USER
SCAN_LOG=$CASIER_LOG_DIR/milter.log
SCAN_PIDFILE=$CASIER_PID_DIR/milter.pid
SCAN_TMP=$(mktemp -d /tmp/casier-scan-test.XXXXXX)
trap 'rm -rf "$SCAN_TMP"' EXIT
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
CUSTOM=CASIER-TEST-MALWARE-PATTERN-7f3a9c

scan_failures=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	scan_failures=$((scan_failures + 1))
}
scan_finish() { [ "$scan_failures" = 0 ]; }

scan_psql() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d casier "$@"
}

# The test domain and account (idempotent).
scan_setup_account() {
	local hash
	if [ "$(scan_psql -c "SELECT count(*) FROM account WHERE username = '$SCAN_USER'")" = 1 ]; then
		return 0
	fi
	hash=$(doveadm pw -s ARGON2ID -p "$SCAN_PASSWORD") || return 1
	scan_psql -v hash="$hash" <<'SQL'
INSERT INTO domain (name, prefix, max_accounts, default_quota_bytes)
VALUES ('scan.test', 'scantest', 10, 1073741824) ON CONFLICT DO NOTHING;
INSERT INTO account (domain_id, username, local_part, password_hash, quota_bytes)
SELECT id, 'scantest0001', 'alice', :'hash', 1073741824 FROM domain WHERE name = 'scan.test'
ON CONFLICT DO NOTHING;
SQL
}

# scan_make KIND TOKEN FILE: write a message (CRLF) for swaks --data.
# KIND: clean plain base64 zip custom forged-header unterminated
# broken-base64 deep-nesting:N deep-nesting-eicar:N headers-only binary
# size:BYTES
scan_make() {
	EICAR=$EICAR CUSTOM=$CUSTOM python3 - "$1" "$2" "$3" <<'PY'
import base64, io, os, sys, zipfile
kind, token, path = sys.argv[1:4]
eicar = os.environ["EICAR"].encode()
custom = os.environ["CUSTOM"].encode()
head = ("From: bob@example.org\r\nTo: alice@scan.test\r\n"
        "Subject: scan test %s %s\r\nMessage-ID: <%s@scan.test>\r\n"
        "MIME-Version: 1.0\r\n" % (kind, token, token)).encode()
def b64(data):
    s = base64.b64encode(data)
    return b"\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + b"\r\n"
def multipart(att, name, end=True):
    return (b'Content-Type: multipart/mixed; boundary="BND"\r\n\r\n'
            b"--BND\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            b"--BND\r\nContent-Type: application/octet-stream; name=" + name +
            b"\r\nContent-Disposition: attachment; filename=" + name +
            b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + att +
            (b"--BND--\r\n" if end else b""))
if kind == "clean":
    body = b"\r\nA perfectly clean message.\r\n"
elif kind == "forged-header":
    head += b"X-Virus-Scanned: clean (forged by the sender)\r\n"
    body = b"\r\nClean, with a forged scanner header.\r\n"
elif kind == "plain":
    body = b"\r\n" + eicar + b"\r\n"
elif kind == "custom":
    body = b"\r\nsome text " + custom + b" more text\r\n"
elif kind == "base64":
    body = multipart(b64(eicar), b"eicar.com")
elif kind == "zip":
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("readme.txt", "nothing to see")
        f.writestr("eicar.com", eicar)
    body = multipart(b64(z.getvalue()), b"invoice.zip")
elif kind == "unterminated":
    body = multipart(b64(b"clean attachment " * 20)[:-40], b"a.bin", end=False)
elif kind == "broken-base64":
    body = multipart(b"WDVPIVAlQEFQ!!!=*==\r\n@@@@====\r\n%%%%\r\nQUJD\r\n", b"b.bin")
elif kind.startswith("deep-nesting"):
    # deep-nesting[-eicar]:DEPTH - DEPTH levels of multipart/mixed; the
    # clean variant closes every boundary, the EICAR one closes none.
    depth = int(kind.split(":")[1])
    parts = [b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    for i in range(1, depth):
        parts.append(b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i - 1, i))
    leaf = eicar if "eicar" in kind else b"leaf"
    parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n" % (depth - 1, leaf))
    if "eicar" not in kind:
        for i in range(depth - 1, -1, -1):
            parts.append(b"--b%d--\r\n" % i)
    body = b"".join(parts)
elif kind == "headers-only":
    body = b"\r\n"
elif kind == "binary":
    body = b"\r\n" + bytes((i * 37 + 11) % 256 for i in range(20000)).replace(b"\r\n.", b"\r\n..") + b"\r\n"
elif kind.startswith("size:"):
    n = int(kind[5:])
    line = (b"%s clean filler line for size tests 0123456789 abcdefghij\r\n" % token.encode())
    body = b"\r\n" + line * (n // len(line) + 1)
else:
    sys.exit("unknown kind " + kind)
with open(path, "wb") as f:
    f.write(head + body)
PY
}

# scan_send PORTKIND FILE [RCPT]: send FILE; prints swaks' transcript.
# PORTKIND: inbound (+25, no auth) or submissions (+465, TLS + SASL).
scan_send() {
	local kind=$1 file=$2 rcpt=${3:-$SCAN_ADDR}
	case $kind in
	inbound)
		swaks --server "127.0.0.1:$CASIER_SMTP_PORT" --from bob@example.org \
			--to "$rcpt" --data "@$file" --timeout 120 2>&1
		;;
	submissions)
		swaks --server "127.0.0.1:$CASIER_SUBMISSION_PORT" --tls-on-connect \
			--auth PLAIN --auth-user "$SCAN_ADDR" --auth-password "$SCAN_PASSWORD" \
			--from "$SCAN_ADDR" --to "$rcpt" --data "@$file" --timeout 120 2>&1
		;;
	esac
}

# The final reply to the end of DATA, e.g. "554 5.7.1 Virus found: ...".
scan_data_reply() {
	grep -aE '^(<-|<~|<\*\*|<~\*) +[245][0-9][0-9] ' | tail -n 2 | head -n 1 |
		sed -E 's/^(<-|<~|<\*\*|<~\*) +//'
}

# Delivered messages: the test mailbox's new/ and cur/, and the catcher
# (Dovecot's index files are left out: they repeat headers).
scan_mail_files() {
	find "$SCAN_MAILDIR" "$CASIER_CATCHER_DIR" -type f \( -path '*/new/*' -o \
		-path '*/cur/*' -o -path "$CASIER_CATCHER_DIR/*" \) 2>/dev/null
}

# How many delivered messages contain TOKEN.
scan_delivered_count() {
	scan_mail_files | xargs -r grep -l --fixed-strings -- "$1" 2>/dev/null | wc -l
}

# The first delivered message containing TOKEN.
scan_delivered_file() {
	scan_mail_files | xargs -r grep -l --fixed-strings -- "$1" 2>/dev/null | head -n 1
}

scan_queue_empty() {
	postqueue -c "$POSTFIX_DIR" -p 2>/dev/null | grep -q 'Mail queue is empty'
}

# Wait up to $2 seconds (default 20) for $3 (default 1) copies of TOKEN.
scan_wait_delivered() {
	local token=$1 secs=${2:-20} want=${3:-1} i
	for i in $(seq 1 $((secs * 10))); do
		[ "$(scan_delivered_count "$token")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

scan_pids() { pgrep -f "casier-milter -c $CASIER_CONFIG" | sort | tr '\n' ' '; }

scan_milter_start() {
	CASIER_PROG=test bash "$scan_src/tools/stack/start.d/50-milter.sh"
}
