#!/bin/bash
# tools/stack/configure.d/60-policy.sh - outbound limits and relay clients
# (issue 6, docs/policy.md).
#
# Run by tools/up (as root) after Postfix's files are rendered: appends
# the [policy] section to $CASIER_CONFIG and hooks casier-policyd into
# Postfix:
#   - submissions (+465): at RCPT (a blocked account is refused early)
#     and at end of data (the message is counted against the hourly
#     limit), for SASL users;
#   - inbound smtpd (+25): in smtpd_relay_restrictions before
#     reject_unauth_destination, so an authorised relay client is
#     permitted (and counted) and everyone else is refused (no open
#     relay); read-only (policy_context=relay_check) at the start of
#     smtpd_recipient_restrictions, so the resolution check that follows
#     does not refuse relayed recipients; at end of data to count
#     relayed messages;
#   - never the re-injection smtpd (+26): forwards made by delivery and
#     vacation replies are not counted.
# If the policy service does not answer, Postfix answers 451 4.3.5.
# Variables: CASIER_POLICY_LIMIT (default 5000), CASIER_POLICY_BLOCK
# (default 3d), CASIER_POLICY_NOTIFY_SUPERUSER (default
# superuser@test.example, delivered to the catcher).
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=configure-policy

sock=$CASIER_SOCK_DIR/policyd.sock

cat >>"$CASIER_CONFIG" <<CONF

[policy]
socket = $sock
max_connections = 256
db_pool_size = 8
request_timeout = 10s
idle_timeout = 330s
default_limit_per_hour = ${CASIER_POLICY_LIMIT:-5000}
block_duration = ${CASIER_POLICY_BLOCK:-3d}
relay_default_limit_per_hour = 0
notify_from = postmaster@mail.casier.test
notify_superuser = ${CASIER_POLICY_NOTIFY_SUPERUSER:-superuser@test.example}
notify_smtp_host = 127.0.0.1
notify_smtp_port = $CASIER_REINJECT_PORT
notify_helo = mail.casier.test
notify_interval = 2s
spf_record = v=spf1 ip4:127.0.0.1 ~all
CONF

P="postconf -c $POSTFIX_DIR"
sub="127.0.0.1:$CASIER_SUBMISSION_PORT/inet"
reinject="127.0.0.1:$CASIER_REINJECT_PORT/inet"

# A named parameter keeps spaces out of master.cf -o values.
$P -e "casier_policy = check_policy_service unix:$sock" \
	"casier_relay_check = check_policy_service { unix:$sock, policy_context=relay_check }" \
	"smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later" \
	"smtpd_policy_service_timeout = 100s" \
	"smtpd_policy_service_max_idle = 300s"

# Inbound: the policy decides relaying before reject_unauth_destination.
relay=$($P -h smtpd_relay_restrictions)
case $relay in
*'$casier_policy'*) ;;
*) $P -e "smtpd_relay_restrictions = \$casier_policy, $relay" ;;
esac

# Inbound recipient restrictions reject recipients outside the hosted
# domains (delivery's resolution); an authorised relay client is let
# through first by a read-only check (it was counted above, once).
rr=$($P -h smtpd_recipient_restrictions)
case $rr in
*'$casier_relay_check'*) ;;
*reject_non_fqdn_recipient*)
	$P -e "smtpd_recipient_restrictions = ${rr/reject_non_fqdn_recipient/reject_non_fqdn_recipient, \$casier_relay_check}" ;;
*) $P -e "smtpd_recipient_restrictions = \$casier_relay_check${rr:+, $rr}" ;;
esac

# End of data, for every smtpd that does not override it (inbound and
# submissions); the re-injection smtpd overrides it with nothing.
eod=$($P -h smtpd_end_of_data_restrictions)
case $eod in
*'$casier_policy'*) ;;
*) $P -e "smtpd_end_of_data_restrictions = \$casier_policy${eod:+, $eod}" ;;
esac
$P -P "$reinject/smtpd_end_of_data_restrictions="

# Submissions, RCPT: before permit_sasl_authenticated, after the syntax
# checks, so only recipients Postfix would accept are remembered.
rcpt=$($P -Ph "$sub/smtpd_recipient_restrictions" 2>/dev/null || true)
[ -n "$rcpt" ] || rcpt="reject_non_fqdn_recipient,permit_sasl_authenticated,reject"
case $rcpt in
*'$casier_policy'*) ;;
*permit_sasl_authenticated*)
	rcpt=${rcpt/permit_sasl_authenticated/\$casier_policy,permit_sasl_authenticated}
	$P -P "$sub/smtpd_recipient_restrictions=$rcpt"
	;;
*) die "submissions has no permit_sasl_authenticated in smtpd_recipient_restrictions: $rcpt" ;;
esac
