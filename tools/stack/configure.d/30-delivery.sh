#!/bin/bash
# tools/stack/configure.d/30-delivery.sh - casier-deliverd (issue 3,
# docs/delivery.md).
#
# Run by tools/up (as root) after the base configuration is rendered:
#   - appends [delivery] and [srs] to $CASIER_CONFIG (the SRS secret is
#     created once per stack and kept in $CASIER_RUN_DIR/srs.secret);
#   - Postfix hands hosted mail to deliverd over LMTP (virtual_transport)
#     instead of straight to Dovecot, and hosts the SRS domain so bounces
#     to rewritten senders come back to deliverd;
#   - the inbound smtpd asks deliverd's policy socket at RCPT time (the
#     same resolution as delivery: 550 5.1.1 unknown, 550 5.2.1 inactive,
#     452 4.2.2 over quota) instead of Postfix's account-only list.
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=configure-delivery

spool=$CASIER_RUN_DIR/deliverd-spool
mkdir -p "$spool"
chown vmail:vmail "$spool"
chmod 0700 "$spool"

secret_file=$CASIER_RUN_DIR/srs.secret
if [ ! -s "$secret_file" ]; then
	(umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$secret_file")
fi
srs_domain=srs.casier.test

cat >>"$CASIER_CONFIG" <<CONF

[delivery]
socket = $CASIER_SOCK_DIR/deliverd-lmtp
policy_socket = $CASIER_SOCK_DIR/deliverd-policy
pid_file = $CASIER_PID_DIR/deliverd.pid
hostname = mail.casier.test
spool_dir = $spool
dovecot_lmtp = unix:$CASIER_SOCK_DIR/dovecot-lmtp
reinject = inet:127.0.0.1:$CASIER_REINJECT_PORT
max_message_size = $(postconf -c "$POSTFIX_DIR" -h message_size_limit)
max_recipients = 1000
alias_depth = 8
db_timeout = 5s
next_hop_timeout = 60s
job_interval = 2s

[srs]
domain = $srs_domain
secret = $(cat "$secret_file")
max_age = 21d
CONF

P="postconf -c $POSTFIX_DIR"
$P -e "virtual_transport = lmtp:unix:$CASIER_SOCK_DIR/deliverd-lmtp"
domains=$($P -h virtual_mailbox_domains)
case " ${domains//,/ } " in
*" $srs_domain "*) ;;
*) $P -e "virtual_mailbox_domains = $domains, $srs_domain" ;;
esac
# Recipients are checked by deliverd's policy service, which knows
# aliases, catch-alls, inactive accounts and quota; Postfix's own list
# (virtual_mailbox_maps) knows accounts only.
$P -e "smtpd_reject_unlisted_recipient = no" \
	"casier_delivery_policy = check_policy_service unix:$CASIER_SOCK_DIR/deliverd-policy" \
	"smtpd_policy_service_default_action = 451 4.3.0 Recipient check unavailable, try again later"
# The SRS domain is ours for bounces but is no hosted domain in SQL: let
# it through the relay check (other hooks decide relaying from SQL);
# the policy service above then verifies the SRS hash and age.
relay=$($P -h smtpd_relay_restrictions)
case "$relay" in
*"$srs_domain"*) ;;
*) $P -e "smtpd_relay_restrictions = check_recipient_access inline:{ $srs_domain=OK }${relay:+, $relay}" ;;
esac
rcpt=$($P -h smtpd_recipient_restrictions)
case "$rcpt" in
*casier_delivery_policy*) ;;
*reject_unlisted_recipient*)
	$P -e "smtpd_recipient_restrictions = ${rcpt/reject_unlisted_recipient/\$casier_delivery_policy}" ;;
*) $P -e "smtpd_recipient_restrictions = \$casier_delivery_policy${rcpt:+, $rcpt}" ;;
esac
