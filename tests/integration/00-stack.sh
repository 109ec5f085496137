#!/bin/bash
# 00-stack.sh - the stack itself (DESIGN section 10): stack.env has every
# variable, every port listens on loopback, the certificate verifies for
# localhost and 127.0.0.1 with CASIER_TLS_CA, a second tools/up is a no-op,
# the re-injection port relays (trusted) while the inbound port does not,
# remote mail ends in the catcher, nothing runs chrooted.
. "$(dirname "$0")/lib.sh"

for v in CASIER_WEB_URL CASIER_API_TOKEN CASIER_SUPERUSER CASIER_SUPERUSER_PASSWORD \
	CASIER_SMTP_PORT CASIER_SUBMISSION_PORT CASIER_IMAPS_PORT CASIER_POP3S_PORT CASIER_PGHOST \
	CASIER_PGPORT CASIER_MAIL_ROOT CASIER_TLS_CA CASIER_HOST CASIER_STOP CASIER_IMAP_PORT \
	CASIER_POP3_PORT CASIER_REINJECT_PORT CASIER_CATCHER_PORT CASIER_RUN_DIR CASIER_BUILD_DIR \
	CASIER_CONFIG CASIER_BIN_DIR; do
	[ -n "${!v:-}" ] && pass "stack.env sets $v" || fail "stack.env sets $v" "empty"
done
assert_eq "CASIER_HOST is loopback" 127.0.0.1 "$CASIER_HOST"

for po in SMTP:25 REINJECT:26 SUBMISSION:465 IMAP:143 IMAPS:993 POP3:110 POP3S:995 CATCHER:2525; do
	p=${po%%:*} off=${po##*:}
	port_var=CASIER_${p}_PORT
	port=${!port_var}
	assert_eq "$p port is base+$off" "$((CASIER_BASE_PORT + off))" "$port"
	assert_eq "$p listens on 127.0.0.1 only" "127.0.0.1:$port" \
		"$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
done
check "PostgreSQL answers on its socket" sql "SELECT 1"
check "casier role owns the database" test "$(sql "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'casier'")" = casier

out=$(openssl s_client -connect "127.0.0.1:$CASIER_IMAPS_PORT" -CAfile "$CASIER_TLS_CA" \
	-verify_return_error -verify_hostname localhost </dev/null 2>&1)
assert_contains "IMAPS certificate verifies for localhost" "$out" "Verify return code: 0 (ok)"
out=$(openssl s_client -connect "127.0.0.1:$CASIER_POP3S_PORT" -CAfile "$CASIER_TLS_CA" \
	-verify_return_error -verify_ip 127.0.0.1 </dev/null 2>&1)
assert_contains "POP3S certificate verifies for 127.0.0.1" "$out" "Verify return code: 0 (ok)"
out=$(openssl s_client -connect "127.0.0.1:$CASIER_IMAPS_PORT" -CAfile "$CASIER_TLS_CA" \
	-verify_return_error -verify_hostname not-this-host.example </dev/null 2>&1)
assert_not_contains "the certificate does not verify for another name" "$out" "Verify return code: 0 (ok)"
out=$(openssl s_client -connect "127.0.0.1:$CASIER_SUBMISSION_PORT" -CAfile "$CASIER_TLS_CA" \
	-verify_return_error -verify_ip 127.0.0.1 </dev/null 2>&1)
assert_contains "submissions certificate verifies for 127.0.0.1" "$out" "Verify return code: 0 (ok)"

out=$(CASIER_RUN_DIR=$CASIER_RUN_DIR CASIER_BASE_PORT=$CASIER_BASE_PORT \
	CASIER_BUILD_DIR=$CASIER_BUILD_DIR CASIER_SKIP_BUILD=1 "$CASIER_SRC_DIR/tools/up" 2>&1)
rc=$?
assert_eq "second tools/up exits 0" 0 "$rc"
assert_contains "second tools/up is a no-op with a message" "$out" "already running"

tag=$(uniq_name)
check "re-injection port relays to a remote domain" swaks --timeout 20 \
	--server "127.0.0.1:$CASIER_REINJECT_PORT" --from "bounce@example.org" \
	--to "reinject-$tag@elsewhere.test.example" --h-Subject "reinject $tag"
catcher_wait "reinject $tag" >/dev/null && pass "remote mail reaches the catcher" ||
	fail "remote mail reaches the catcher" "nothing in $CASIER_CATCHER_DIR"
check_fails "inbound port is not an open relay" smtp_send "x@example.org" "relay-$tag@example.net"

check "no Postfix service is chrooted" test -z "$(postconf -c "$POSTFIX_DIR" -F '*/*/chroot' | grep -v '= n$')"
check "Postfix uses its own queue directory" test "$(postconf -c "$POSTFIX_DIR" -h queue_directory)" != /var/spool/postfix
# INTEGRATION.md: a full mailbox must be a temporary failure at the final hop
assert_eq "Dovecot quota_full_tempfail is in force" yes "$(doveconf -c "$DOVECOT_CONF" -h quota_full_tempfail)"
assert_eq "Dovecot checks quota at LMTP RCPT" yes "$(doveconf -c "$DOVECOT_CONF" -f protocol=lmtp -h lmtp_rcpt_check_quota)"
check "Dovecot instance named after the base port" test "$(doveconf -c "$DOVECOT_CONF" -h instance_name)" = "casier-$CASIER_BASE_PORT"
check "postqueue works with the stack's config (alternate_config_directories)" postqueue -c "$POSTFIX_DIR" -p

finish
