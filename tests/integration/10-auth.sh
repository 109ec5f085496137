#!/bin/bash
# 10-auth.sh - Dovecot SQL authentication (issue 2 acceptance): an account
# created with casier-admin logs in over IMAPS, POP3S, IMAP+STARTTLS and
# POP3+STARTTLS with its username and with its address (also through an
# alias domain, any case); a wrong password, an inactive account (right
# after deactivation: auth cache) and an inactive domain fail; plaintext
# authentication without TLS is refused.
. "$(dirname "$0")/lib.sh"

new_domain || { fail setup "cannot create a domain"; finish; }
alias_dom="$(uniq_name).alias.test"
casier_admin alias-domain-add "$alias_dom" "$DOMAIN" >/dev/null || fail setup "alias-domain-add"
local_part=$(uniq_name | tr -d 0-9 | cut -c1-10)
new_account "$local_part@$DOMAIN" || { fail setup "cannot create an account"; finish; }
user=$USERNAME pw=$PASSWORD
upper_addr=$(printf '%s@%s' "$local_part" "$alias_dom" | tr a-z A-Z)

for login in "$user" "$local_part@$DOMAIN" "$user@$DOMAIN" "$upper_addr"; do
	check "imaps login as $login" imaps "$login" "$pw"
	check "pop3s login as $login" pop3s "$login" "$pw"
	check "imap starttls login as $login" imap_starttls "$login" "$pw"
	check "pop3 starttls login as $login" pop3_starttls "$login" "$pw"
done
# The session belongs to the username whatever the login form.
out=$(_curl "imaps://127.0.0.1:$CASIER_IMAPS_PORT/" -u "$upper_addr:$pw" -X 'GETQUOTAROOT INBOX' -v 2>&1)
assert_contains "login by address is normalised to the username's quota root" "$out" "QUOTA"

check_fails "imaps wrong password" imaps "$user" "${pw}x"
check_fails "pop3s wrong password" pop3s "$local_part@$DOMAIN" "wrong-$pw"
check_fails "imap starttls wrong password" imap_starttls "$user" "${pw}x"
check_fails "pop3 starttls wrong password" pop3_starttls "$user" "${pw}x"
check_fails "imaps unknown user" imaps "nobody@$DOMAIN" "$pw"
check_fails "imaps unknown domain" imaps "$local_part@unknown-$$.test" "$pw"

# Plaintext authentication without TLS is refused.  Dovecot counts a
# connection whose client and server addresses are equal (127.0.0.1 to
# 127.0.0.1) as secured, so the test clients connect from another loopback
# address (lib.sh), like any other host would.
out=$(curl -sS --max-time 20 --interface "$TEST_SRC_IP" -v "imap://127.0.0.1:$CASIER_IMAP_PORT/" -u "$user:$pw" 2>&1)
rc=$?
assert_contains "imap without TLS announces LOGINDISABLED" "$out" "LOGINDISABLED"
[ "$rc" != 0 ] && pass "imap LOGIN without TLS is refused" || fail "imap LOGIN without TLS is refused" "curl logged in: $out"
out=$(curl -sS --max-time 20 --interface "$TEST_SRC_IP" -v "pop3://127.0.0.1:$CASIER_POP3_PORT/" -u "$user:$pw" 2>&1)
rc=$?
assert_not_contains "pop3 without TLS offers no SASL mechanism" "$out" "SASL PLAIN"
[ "$rc" != 0 ] && pass "pop3 USER/PASS without TLS is refused" || fail "pop3 USER/PASS without TLS is refused" "curl logged in: $out"
check "imap STARTTLS from another address works" curl -sS --max-time 20 --interface "$TEST_SRC_IP" --ssl-reqd \
	--cacert "$CASIER_TLS_CA" "imap://127.0.0.1:$CASIER_IMAP_PORT/" -u "$user:$pw"

# Inactive account: fails on the very next login.  casier-admin flushes
# Dovecot's auth cache itself ([web] auth_flush_command); the web manager
# runs the same flush as the unprivileged user casier.
check "imaps login before deactivation (fills the auth cache)" imaps "$local_part@$alias_dom" "$pw"
check "imaps login by username before deactivation" imaps "$user" "$pw"
check "casier-admin account-set inactive" casier_admin account-set "$user" inactive
for login in "$user" "$local_part@$DOMAIN" "$local_part@$alias_dom" "$upper_addr"; do
	check_fails "inactive account: imaps as $login right after account-set" imaps "$login" "$pw"
done
check_fails "inactive account: pop3s" pop3s "$user" "$pw"
check "casier-admin account-set active" casier_admin account-set "$user" active
check "reactivated account logs in" imaps "$user" "$pw"
check "reactivated account logs in by alias-domain address" imaps "$local_part@$alias_dom" "$pw"

# The flush as user casier (what casier-mgmtd does), after a change made
# directly in SQL, which Dovecot cannot notice by itself.
sql "UPDATE account SET active = false WHERE username = '$user'" >/dev/null
check "auth cache flush as user casier" flush_auth_cache "$user"
for login in "$user" "$local_part@$alias_dom"; do
	check_fails "deactivated in SQL + flushed: imaps as $login" imaps "$login" "$pw"
done
sql "UPDATE account SET active = true WHERE username = '$user'" >/dev/null
flush_auth_cache "$user" >/dev/null

# Inactive domain: its accounts cannot log in.
sql "UPDATE domain SET active = false WHERE name = '$DOMAIN'" >/dev/null
flush_auth_cache "$user" >/dev/null
check_fails "account of an inactive domain cannot log in" imaps "$user" "$pw"
sql "UPDATE domain SET active = true WHERE name = '$DOMAIN'" >/dev/null

# The TLS ports require TLS: a plain connection to IMAPS gets no greeting.
greet=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$CASIER_IMAPS_PORT; printf 'a CAPABILITY\r\n' >&3; head -c 200 <&3" 2>/dev/null | tr -d '\0')
assert_not_contains "imaps port speaks only TLS" "$greet" "* OK"

finish
