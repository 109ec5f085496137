#!/bin/bash
# 23-delivery-daemon.sh - casier-deliverd as a process and its loop guard.
#   - runs as vmail; refuses to run as root without -u;
#   - SIGHUP re-reads the configuration and delivery goes on;
#   - a message already carrying Delivered-To for the recipient
#     loop_max_hops times is refused with 5.4.6 (forwarding loop);
#   - the LMTP socket speaks RFC 2033 (LHLO, one reply per recipient).
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/2x-delivery-lib.sh"

bin=$CASIER_BIN_DIR/delivery/casier-deliverd
pidf=$CASIER_RUN_DIR/pids/deliverd.pid
pid=$(cat "$pidf" 2>/dev/null)
assert_eq "deliverd runs as vmail" vmail "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')"
if [ "$(id -u)" = 0 ]; then
	out=$("$bin" -c "$CASIER_CONFIG" 2>&1)
	rc=$?
	assert_eq "refuses root without -u: exit 1" 1 "$rc"
	assert_contains "refuses root without -u: says why" "$out" "refusing"
fi

new_domain 50 10 || { fail setup "new_domain"; finish; }
D=$DOMAIN
new_account "loopy@$D" || { fail setup "account"; finish; }
U=$USERNAME P=$PASSWORD
tag=$$-$RANDOM

lines_before=$(wc -l <"$CASIER_LOG_DIR/deliverd.log")
kill -HUP "$pid"
sleep 1
assert_contains "SIGHUP: configuration reloaded" "$(tail -n +"$((lines_before + 1))" "$CASIER_LOG_DIR/deliverd.log")" "configuration reloaded"
smtp_send sender@example.org "loopy@$D" --body "afterhup-$tag" || fail "after SIGHUP: accepted" "$(swaks_reply)"
assert_eq "after SIGHUP: delivered" 1 "$(wait_count "$U" "$P" "afterhup-$tag" 1)"
assert_eq "after SIGHUP: same process" "$pid" "$(cat "$pidf")"

smtp_send sender@example.org "loopy@$D" --add-header "Delivered-To: loopy@$D" \
	--add-header "Delivered-To: LOOPY@$D" --body "looped-$tag" || fail "loop: accepted at SMTP" "$(swaks_reply)"
found=no
for _ in $(seq 1 40); do
	grep -F "to=<loopy@$D>" "$CASIER_LOG_DIR/postfix.log" | grep -q "dsn=5.4.6" && {
		found=yes
		break
	}
	sleep 0.5
done
assert_eq "Delivered-To loop: refused with 5.4.6" yes "$found"
assert_eq "Delivered-To loop: not delivered" 0 "$(imap_count "$U" "$P" "looped-$tag")"

# RFC 2033 on the socket itself: two recipients, one unknown.
reply=$(printf 'LHLO test\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<loopy@%s>\r\nRCPT TO:<nobody-%s@%s>\r\nRCPT TO:<%s@%s>\r\nDATA\r\nSubject: lmtp\r\n\r\nlmtp-%s\r\n..dot\r\n.\r\nQUIT\r\n' \
	"$D" "$tag" "$D" "$U" "$D" "$tag" | socat -t 20 - "UNIX-CONNECT:$CASIER_SOCK_DIR/deliverd-lmtp" 2>&1 | tr -d '\r')
assert_contains "LMTP: LHLO offers PIPELINING" "$reply" "250-PIPELINING"
assert_contains "LMTP: unknown recipient 550 5.1.1" "$reply" "550 5.1.1 User unknown"
assert_eq "LMTP: one 250 Delivered per accepted recipient" 2 "$(printf '%s\n' "$reply" | grep -c '^250 2.0.0 Delivered')"
assert_eq "LMTP: one copy in the mailbox (recipients deduplicated)" 1 "$(wait_count "$U" "$P" "lmtp-$tag" 1)"
msg=$(imap_get "$U" "$P" "lmtp-$tag")
assert_contains "LMTP: dot-unstuffed" "$msg" "
.dot"
finish
