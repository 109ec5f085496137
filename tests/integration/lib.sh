# tests/integration/lib.sh - helpers for integration tests (sourced).
#
# Tests run against a stack started by tools/up or tools/test, with the
# variables of $CASIER_RUN_DIR/stack.env in the environment (this file loads
# stack.env itself when they are missing, so a test can also be run by
# hand: CASIER_RUN_DIR=run tests/integration/10-auth.sh).
#
# Output protocol (counted by tools/test): one line per check,
# "PASS: name" or "FAIL: name: reason"; finish exits non-zero when a check
# failed.  Tests share one stack: create your own data with new_domain /
# new_account, whose names derive from the script name and $$.

set -uo pipefail

if [ -z "${CASIER_SMTP_PORT:-}" ]; then
	_env=${CASIER_RUN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/run}/stack.env
	[ -f "$_env" ] || {
		echo "FAIL: setup: no stack.env at $_env (start a stack with tools/up)"
		exit 1
	}
	set -a
	# shellcheck disable=SC1090
	. "$_env"
	set +a
fi

TEST_SCRIPT=$(basename "$0" .sh)
# a-z0-9 slug of the script name starting with a letter, e.g. "t10auth"
TEST_SLUG=t$(printf '%s' "$TEST_SCRIPT" | tr -cd 'a-z0-9' | cut -c1-6)
TEST_FAILED=0
TEST_COUNT=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/casier-$TEST_SCRIPT.XXXXXX")
chmod 0755 "$TEST_TMP"
trap 'rm -rf "$TEST_TMP"' EXIT
_uniq_n=0

# --- reporting -----------------------------------------------------------------

pass() {
	TEST_COUNT=$((TEST_COUNT + 1))
	printf 'PASS: %s\n' "$1"
}

# fail NAME REASON
fail() {
	TEST_COUNT=$((TEST_COUNT + 1))
	TEST_FAILED=1
	printf 'FAIL: %s: %s\n' "$1" "$(printf '%s' "${2:-failed}" | tr '\n' ' ' | cut -c1-400)"
}

# check NAME CMD...: PASS when CMD succeeds (its output is in $TEST_TMP/out).
check() {
	local name=$1
	shift
	if "$@" >"$TEST_TMP/out" 2>&1; then
		pass "$name"
	else
		fail "$name" "exit $?: $(tail -n 3 "$TEST_TMP/out")"
	fi
}

# check_fails NAME CMD...: PASS when CMD fails.
check_fails() {
	local name=$1
	shift
	new_source_ip
	if "$@" >"$TEST_TMP/out" 2>&1; then
		fail "$name" "succeeded but should have failed: $(tail -n 3 "$TEST_TMP/out")"
	else
		pass "$name"
	fi
}

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# assert_contains NAME HAYSTACK NEEDLE
assert_contains() {
	case $2 in
	*"$3"*) pass "$1" ;;
	*) fail "$1" "'$3' not found in: $2" ;;
	esac
}

# assert_not_contains NAME HAYSTACK NEEDLE
assert_not_contains() {
	case $2 in
	*"$3"*) fail "$1" "'$3' found in: $2" ;;
	*) pass "$1" ;;
	esac
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# finish: exit status of the test script.
finish() {
	[ "$TEST_COUNT" -gt 0 ] || fail "$TEST_SCRIPT" "no checks ran"
	exit "$TEST_FAILED"
}

# --- unique test data ---------------------------------------------------------

# uniq_name: a fresh lower-case token (letters and digits), unique per run.
# The counter lives in a file: callers use $(uniq_name), a subshell, where a
# shell variable would never move on.
uniq_name() {
	local c
	c=$(($(cat "$TEST_TMP/uniq-counter" 2>/dev/null || echo 0) + 1))
	echo "$c" >"$TEST_TMP/uniq-counter"
	printf '%s%sx%s' "$TEST_SLUG" "$$" "$c"
}

# uniq_password: a random password that passes the password policy.
uniq_password() {
	printf 'Pw-%s-%s' "$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-12)" "$RANDOM"
}

# --- database and casier-admin ------------------------------------------------------

# sql QUERY [psql args]: run a query as the casier role; unaligned output.
sql() {
	local q=$1
	shift
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d casier \
		-c "$q" "$@"
}

casier_admin_path() {
	local f
	for f in "$CASIER_BIN_DIR/admin/casier-admin" "$CASIER_BIN_DIR/casier-admin"; do
		[ -x "$f" ] && {
			printf '%s\n' "$f"
			return 0
		}
	done
	echo "casier-admin not built in $CASIER_BIN_DIR" >&2
	return 1
}

# casier_admin ARGS...: the CLI with the stack's configuration.
casier_admin() {
	local bin
	bin=$(casier_admin_path) || return 69
	"$bin" -c "$CASIER_CONFIG" "$@"
}

# new_domain [MAX_ACCOUNTS] [QUOTA_MB]: create a fresh domain; sets DOMAIN
# and PREFIX.
new_domain() {
	local n
	n=$(uniq_name)
	PREFIX=$(printf '%s' "$n" | cut -c1-16)
	# the prefix is at most 16 characters; keep it unique with the tail
	if [ "${#n}" -gt 16 ]; then
		PREFIX="d$(printf '%s' "$n" | tail -c 15)"
	fi
	DOMAIN="$n.hosted.test"
	casier_admin domain-add "$DOMAIN" "$PREFIX" "${1:-50}" "${2:-10}" >"$TEST_TMP/admin.out" 2>&1 ||
		{
			echo "domain-add $DOMAIN failed: $(cat "$TEST_TMP/admin.out")" >&2
			return 1
		}
}

# new_account ADDRESS [QUOTA_MB]: create an account with a random
# password; sets USERNAME and PASSWORD.
new_account() {
	PASSWORD=$(uniq_password)
	USERNAME=$(CASIER_PASSWORD=$PASSWORD casier_admin account-add "$@" 2>"$TEST_TMP/admin.err") ||
		{
			echo "account-add $1 failed: $(cat "$TEST_TMP/admin.err")" >&2
			return 1
		}
	USERNAME=$(printf '%s' "$USERNAME" | tail -n 1 | tr -d '[:space:]')
}

# flush_auth_cache USERNAME: what the web manager does after changing an
# account: flush every login form from Dovecot's auth cache, as user casier.
flush_auth_cache() {
	local forms
	forms=$(sql "SELECT login FROM dovecot_login_forms('$1')") || return 1
	[ -n "$forms" ] || return 0
	# shellcheck disable=SC2086
	runuser -u casier -- doveadm -O auth cache flush -a "$DOVECOT_AUTH_MASTER" $forms
}

# --- mail clients --------------------------------------------------------------------

# smtp_send FROM TO [swaks args...]: send to the inbound port (the MX
# role) as "the Internet".  Output in $TEST_TMP/swaks.out; exit status of
# swaks (0 = accepted).
smtp_send() {
	local from=$1 to=$2
	shift 2
	swaks --timeout 20 --server "$CASIER_HOST:$CASIER_SMTP_PORT" --helo client.test.example \
		--from "$from" --to "$to" "$@" >"$TEST_TMP/swaks.out" 2>&1
}

# submit USER PASSWORD FROM TO [swaks args...]: SMTPS (implicit TLS, AUTH
# PLAIN) on the submission port.
submit() {
	local user=$1 pw=$2 from=$3 to=$4
	shift 4
	swaks --timeout 20 --server "$CASIER_HOST:$CASIER_SUBMISSION_PORT" --tls-on-connect \
		--tls-verify --tls-ca-path "$CASIER_TLS_CA" --tls-sni localhost \
		-a PLAIN -au "$user" -ap "$pw" --from "$from" --to "$to" "$@" >"$TEST_TMP/swaks.out" 2>&1
}

# swaks_reply: the server's error reply of the previous smtp_send/submit
# (or its last reply when there was no error).
swaks_reply() {
	local r
	r=$(grep -E '^<(~\*|\*\*) +[0-9]{3}' "$TEST_TMP/swaks.out" | head -n 1)
	[ -n "$r" ] || r=$(grep -E '^<~? +[0-9]{3}' "$TEST_TMP/swaks.out" | tail -n 1)
	printf '%s\n' "$r" | sed -E 's/^<[~*]*\*? +//'
}

# Source address of the mail clients: a loopback address of our own
# (127.x.y.z), because Dovecot (a) counts failed logins per client address
# and delays the next ones by up to 15 s, which would slow down every later
# test, and (b) treats a client whose address equals the server's as
# secured (plaintext login allowed without TLS).  check_fails picks a new
# one for each failing check.
new_source_ip() { TEST_SRC_IP="127.$((RANDOM % 250 + 2)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"; }
new_source_ip

# curl with the stack's CA; the certificate is for localhost and 127.0.0.1.
_curl() { curl -sS --max-time 20 --interface "$TEST_SRC_IP" --cacert "$CASIER_TLS_CA" "$@"; }

# imaps USER PASSWORD [PATH]: IMAPS request (default: list mailboxes).
imaps() { _curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/${3:-}" -u "$1:$2"; }
# pop3s USER PASSWORD [N]: POP3S (list, or retrieve message N).
pop3s() { _curl "pop3s://127.0.0.1:$CASIER_POP3S_PORT/${3:-}" -u "$1:$2"; }
# imap_starttls USER PASSWORD [PATH]: IMAP on the plain port with STARTTLS.
imap_starttls() { _curl --ssl-reqd "imap://127.0.0.1:$CASIER_IMAP_PORT/${3:-}" -u "$1:$2"; }
# pop3_starttls USER PASSWORD [N]
pop3_starttls() { _curl --ssl-reqd "pop3://127.0.0.1:$CASIER_POP3_PORT/${3:-}" -u "$1:$2"; }

# imap_fetch USER PASSWORD UID: the raw message UID of INBOX over IMAPS.
imap_fetch() { imaps "$1" "$2" "INBOX;UID=$3"; }

# imap_wait_message USER PASSWORD NEEDLE [SECONDS]: wait until a message of
# INBOX contains NEEDLE; prints it.
imap_wait_message() {
	local deadline=$(($(date +%s) + ${4:-20})) uids u
	while :; do
		uids=$(_curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX" -u "$1:$2" -X 'UID SEARCH ALL' 2>/dev/null |
			tr -d '\r' | sed -n 's/^\* SEARCH//p')
		for u in $uids; do
			if imap_fetch "$1" "$2" "$u" 2>/dev/null >"$TEST_TMP/msg" && grep -qF -- "$3" "$TEST_TMP/msg"; then
				cat "$TEST_TMP/msg"
				return 0
			fi
		done
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.3
	done
}

# catcher_wait NEEDLE [SECONDS]: wait until the test catcher ("the
# Internet", +2525) received a message containing NEEDLE; prints its file.
catcher_wait() {
	local deadline=$(($(date +%s) + ${2:-20})) f
	while :; do
		f=$(grep -rlF -- "$1" "$CASIER_CATCHER_DIR" 2>/dev/null | head -n 1)
		[ -n "$f" ] && {
			printf '%s\n' "$f"
			return 0
		}
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.3
	done
}

# --- web API -----------------------------------------------------------------------

# api METHOD PATH [JSON]: call the JSON API with the stack's bearer token.
# Prints the body; the HTTP status is in $TEST_TMP/api.status (see
# api_status).
api() {
	local method=$1 path=$2
	local args=(-X "$method" -H "Authorization: Bearer $CASIER_API_TOKEN" -o "$TEST_TMP/api.body"
		-w '%{http_code}')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	_curl "${args[@]}" "$CASIER_WEB_URL$path" >"$TEST_TMP/api.status" || echo 000 >"$TEST_TMP/api.status"
	cat "$TEST_TMP/api.body" 2>/dev/null
}
api_status() { cat "$TEST_TMP/api.status"; }
