#!/bin/bash
# 2x-delivery-lib.sh - helpers for the delivery integration tests
# (sourced by 20-*.sh .. 29-*.sh; not a test itself).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# imap_count USER PASSWORD NEEDLE: how many INBOX messages contain NEEDLE.
imap_count() {
	_curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX" -u "$1:$2" \
		-X "UID SEARCH BODY \"$3\"" 2>/dev/null |
		sed -n 's/^\* SEARCH//p' | wc -w
}

# imap_get USER PASSWORD NEEDLE: print the first INBOX message containing
# NEEDLE (IMAP replies end in CRLF: the UID is cleaned first).
imap_get() {
	local uid
	uid=$(_curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX" -u "$1:$2" \
		-X "UID SEARCH BODY \"$3\"" 2>/dev/null |
		sed -n 's/^\* SEARCH//p' | tr -d '\r' | awk '{print $1}')
	[ -n "$uid" ] || return 1
	_curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/INBOX;UID=$uid" -u "$1:$2"
}

# wait_count USER PASSWORD NEEDLE N [SECONDS]: wait until exactly N
# messages contain NEEDLE (checks again a moment later for extra copies).
wait_count() {
	local deadline=$(($(date +%s) + ${5:-20})) n
	while :; do
		n=$(imap_count "$1" "$2" "$3")
		if [ "$n" -ge "$4" ]; then
			sleep 1
			imap_count "$1" "$2" "$3"
			return 0
		fi
		[ "$(date +%s)" -ge "$deadline" ] && {
			echo "$n"
			return 1
		}
		sleep 0.3
	done
}

# rcpt_reply TO: the server's reply to RCPT TO on the inbound port.
rcpt_reply() {
	swaks --timeout 20 --server "$CASIER_HOST:$CASIER_SMTP_PORT" --helo client.test.example \
		--from "sender@example.org" --to "$1" --quit-after RCPT 2>&1 |
		awk '/^ -> RCPT TO/ { f = 1; next }
		     f && /^<[-~*]* +[0-9][0-9][0-9]/ { sub(/^<[-~*]* +/, ""); print; exit }'
}

# domain_id NAME
domain_id() { sql "SELECT id FROM domain WHERE name = '$1'"; }

# add_alias DOMAIN LOCAL TARGET...: an alias (SQL, as the web manager would).
add_alias() {
	local d=$1 l=$2
	shift 2
	local arr="" t
	for t in "$@"; do arr="$arr${arr:+,}\"$t\""; done
	sql "INSERT INTO alias (domain_id, local_part, targets) VALUES ($(domain_id "$d"), '$l', '{$arr}')"
}

# set_redirect USERNAME KEEP_COPY TARGET...
set_redirect() {
	local u=$1 keep=$2
	shift 2
	local arr="" t
	for t in "$@"; do arr="$arr${arr:+,}\"$t\""; done
	sql "INSERT INTO redirect (account_id, targets, keep_copy) SELECT id, '{$arr}', $keep FROM account WHERE username = '$u'"
}

# queue_has NEEDLE: a message for NEEDLE (a recipient) is in Postfix's queue.
queue_has() { postqueue -c "$POSTFIX_DIR" -p | grep -qF -- "$1"; }
