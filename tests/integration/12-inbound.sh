#!/bin/bash
# 12-inbound.sh - the inbound port (MX role), issue 2 acceptance: a message
# for a hosted address is readable over IMAPS and POP3S, Dovecot's quota
# figure (doveadm quota get) equals the row in quota_usage; an unknown
# recipient domain is refused (no open relay), an unknown user is refused
# at RCPT.
. "$(dirname "$0")/lib.sh"

new_domain || { fail setup "cannot create a domain"; finish; }
alias_dom="$(uniq_name).alias.test"
casier_admin alias-domain-add "$alias_dom" "$DOMAIN" >/dev/null || fail setup "alias-domain-add"
new_account "carol@$DOMAIN" || { fail setup "account"; finish; }
user=$USERNAME pw=$PASSWORD

tag=$(uniq_name)
check "inbound accepts mail for a hosted address" smtp_send "sender@example.org" "carol@$DOMAIN" \
	--h-Subject "inbound $tag" --body "body of $tag"
if msg=$(imap_wait_message "$user" "$pw" "inbound $tag"); then
	pass "message readable over IMAPS"
	assert_contains "body intact" "$msg" "body of $tag"
else
	fail "message readable over IMAPS" "not in INBOX after 20 s; see $CASIER_LOG_DIR"
fi
check "inbound accepts the alias-domain address (any case)" smtp_send "sender@example.org" \
	"CAROL@$(printf '%s' "$alias_dom" | tr a-z A-Z)" --h-Subject "alias $tag"
imap_wait_message "$user" "$pw" "alias $tag" >/dev/null && pass "alias-domain message delivered" ||
	fail "alias-domain message delivered" "not in INBOX"
check "inbound accepts the username as address" smtp_send "sender@example.org" "$user@$DOMAIN" \
	--h-Subject "username $tag"
imap_wait_message "$user" "$pw" "username $tag" >/dev/null && pass "username-address message delivered" ||
	fail "username-address message delivered" "not in INBOX"
out=$(pop3s "$user" "$pw")
n=$(printf '%s\n' "$out" | grep -c '^[0-9]')
assert_eq "POP3S lists the three messages" 3 "$n"
assert_contains "POP3S retrieves a message" "$(pop3s "$user" "$pw" 1)" "$tag"

# Quota: Dovecot's figure equals the SQL row (the dict writes it).
q=$(doveadm -c "$DOVECOT_CONF" -f tab quota get -u "$user")
dv_kb=$(printf '%s\n' "$q" | awk -F'\t' '$2 == "STORAGE" {print $3}')
dv_msgs=$(printf '%s\n' "$q" | awk -F'\t' '$2 == "MESSAGE" {print $3}')
row=$(sql "SELECT bytes, messages FROM quota_usage WHERE username = '$user'")
sql_bytes=${row%%|*} sql_msgs=${row##*|}
assert_eq "quota_usage messages equal doveadm quota get" "$dv_msgs" "$sql_msgs"
# doveadm prints KiB rounded up
assert_eq "quota_usage bytes equal doveadm quota get (KiB)" "$dv_kb" "$(((sql_bytes + 1023) / 1024))"
assert_eq "three messages counted" 3 "$sql_msgs"
sizes=$(find "$CASIER_MAIL_ROOT/$DOMAIN/$user/Maildir" -type f -path '*/cur/*' -o -type f -path '*/new/*' |
	sed -n 's/.*,S=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
assert_eq "quota_usage bytes equal the Maildir sizes" "$sizes" "$sql_bytes"
check "mail store is owned by vmail" test "$(stat -c %U "$CASIER_MAIL_ROOT/$DOMAIN/$user")" = vmail

# No open relay, unknown users refused at RCPT.
check_fails "unknown recipient domain refused" smtp_send "sender@example.org" "someone@example.net"
assert_contains "relay refusal is 554 5.7.1" "$(swaks_reply)" "554 5.7.1"
check_fails "unknown user of a hosted domain refused" smtp_send "sender@example.org" "nobody-$tag@$DOMAIN"
assert_contains "unknown user is 550 5.1.1" "$(swaks_reply)" "550 5.1.1"
check_fails "relay through the inbound port with a hosted sender refused" smtp_send \
	"carol@$DOMAIN" "victim@example.net"

# Inactive accounts receive nothing.
casier_admin account-set "$user" inactive >/dev/null
check_fails "inactive account refused at RCPT" smtp_send "sender@example.org" "carol@$DOMAIN"
casier_admin account-set "$user" active >/dev/null

finish
