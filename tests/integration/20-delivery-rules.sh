#!/bin/bash
# 20-delivery-rules.sh - recipient resolution end to end (DESIGN section
# 3): Postfix inbound -> casier-deliverd (LMTP) -> Dovecot, read back
# over IMAPS; forwards reach the test catcher with an SRS sender.
#   account, +tag, case, username as address, alias domain; unknown user,
#   inactive account and inactive domain refused at RCPT on the inbound
#   port; nested aliases with a loop, a username target, a remote target
#   and duplicates; alias without target; catch-all and its precedence;
#   redirect with and without copy; an alias loop refused; SRS bounce
#   reversal and a forged SRS address refused.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/2x-delivery-lib.sh"

new_domain 50 10 || { fail setup "new_domain"; finish; }
D=$DOMAIN
new_account "alice@$D" || { fail setup "account alice"; finish; }
AU=$USERNAME AP=$PASSWORD
new_account "bob@$D" || { fail setup "account bob"; finish; }
BU=$USERNAME BP=$PASSWORD
new_account "carol@$D" || { fail setup "account carol"; finish; }
CU=$USERNAME CP=$PASSWORD
new_account "dave@$D" || { fail setup "account dave"; finish; }
DU=$USERNAME DP=$PASSWORD
new_account "off@$D" || { fail setup "account off"; finish; }
OU=$USERNAME
casier_admin account-set "$OU" inactive >/dev/null 2>&1 || fail setup "deactivate $OU"
ALIASD=a$(uniq_name).hosted.test
casier_admin alias-domain-add "$ALIASD" "$D" >/dev/null 2>&1 || fail setup "alias domain"
tag=$$-$RANDOM

# --- direct -------------------------------------------------------------------
smtp_send sender@example.org "Alice+News@$D" --h-Subject "direct $tag" --body "direct-$tag" ||
	fail "account: accepted" "$(swaks_reply)"
n=$(wait_count "$AU" "$AP" "direct-$tag" 1)
assert_eq "account with +tag and mixed case: one copy in the INBOX" 1 "$n"
msg=$(imap_get "$AU" "$AP" "direct-$tag")
assert_contains "the tag is passed to Dovecot (Delivered-To)" "$msg" "Delivered-To: alice+News@$D"

smtp_send sender@example.org "$AU@$D" --body "byname-$tag" || fail "username as address: accepted" "$(swaks_reply)"
assert_eq "username as address reaches the account" 1 "$(wait_count "$AU" "$AP" "byname-$tag" 1)"

smtp_send sender@example.org "alice@$ALIASD" --body "aliasdom-$tag" || fail "alias domain: accepted" "$(swaks_reply)"
assert_eq "alias domain maps onto the primary domain" 1 "$(wait_count "$AU" "$AP" "aliasdom-$tag" 1)"

# --- refusals at RCPT on the inbound port ---------------------------------------
r=$(rcpt_reply "nobody-$tag@$D")
assert_contains "unknown user: 550 5.1.1 at RCPT" "$r" "550 5.1.1"
r=$(rcpt_reply "off@$D")
assert_contains "inactive account: 550 5.2.1 at RCPT" "$r" "550 5.2.1"

# --- aliases ----------------------------------------------------------------------
add_alias "$D" team "alice@$D" "$AU" "team2@$D" "ext-$tag@example.net" "ALICE@$D"
add_alias "$D" team2 "team@$D" "bob@$D" "ext-$tag@example.net"
smtp_send sender@example.org "team@$D" --body "team-$tag" || fail "alias: accepted" "$(swaks_reply)"
assert_eq "nested alias: alice gets exactly one copy" 1 "$(wait_count "$AU" "$AP" "team-$tag" 1)"
assert_eq "nested alias: bob (through the nested alias) gets one copy" 1 "$(wait_count "$BU" "$BP" "team-$tag" 1)"
if f=$(catcher_wait "team-$tag" 20); then
	assert_eq "nested alias: the remote target gets one copy" 1 "$(grep -lF "team-$tag" "$CASIER_CATCHER_DIR"/* | wc -l)"
	assert_contains "forward has an SRS0 sender in the SRS domain" "$(grep '^X-Mail-Args' "$f")" "X-Mail-Args: <SRS0="
	assert_contains "forward SRS sender encodes the original" "$(grep '^X-Mail-Args' "$f")" "=example.org=sender@srs.casier.test"
else
	fail "nested alias: the remote target gets the message" "nothing at the catcher"
fi

add_alias "$D" empty
r=$(rcpt_reply "empty@$D")
assert_contains "alias without target is absent: 550 5.1.1" "$r" "550 5.1.1"

add_alias "$D" loop1 "loop2@$D"
add_alias "$D" loop2 "loop1@$D"
r=$(rcpt_reply "loop1@$D")
assert_contains "alias loop refused: 554 5.4.6" "$r" "554 5.4.6"

# --- redirects --------------------------------------------------------------------
set_redirect "$CU" false "fwd-$tag@example.org"
smtp_send sender@example.org "carol@$D" --body "redir-$tag" || fail "redirect: accepted" "$(swaks_reply)"
if f=$(catcher_wait "redir-$tag" 20); then
	pass "redirect without copy: forwarded"
	assert_contains "redirect: forward carries Delivered-To of the recipient" "$(cat "$f")" "Delivered-To: carol@$D"
else
	fail "redirect without copy: forwarded" "nothing at the catcher"
fi
sleep 1
assert_eq "redirect without copy: no copy in the mailbox" 0 "$(imap_count "$CU" "$CP" "redir-$tag")"

set_redirect "$DU" true "alice@$D"
smtp_send sender@example.org "dave@$D" --body "keep-$tag" || fail "redirect keep: accepted" "$(swaks_reply)"
assert_eq "redirect with copy: the target gets it" 1 "$(wait_count "$AU" "$AP" "keep-$tag" 1)"
assert_eq "redirect with copy: the account keeps a copy" 1 "$(wait_count "$DU" "$DP" "keep-$tag" 1)"

# --- catch-all --------------------------------------------------------------------
# uniq_name runs in a subshell inside new_domain: move its counter on
_uniq_n=$((_uniq_n + 1))
new_domain 50 10 || fail setup "second domain"
D2=$DOMAIN
new_account "catch@$D2" || fail setup "catch account"
KU=$USERNAME KP=$PASSWORD
new_account "info@$D2" || fail setup "info account"
IU=$USERNAME IP=$PASSWORD
sql "UPDATE domain SET catchall_account_id = (SELECT id FROM account WHERE username = '$KU') WHERE name = '$D2'" >/dev/null
add_alias "$D2" hollow
add_alias "$D2" list "info@$D2"
for rc in "random-$tag@$D2" "hollow@$D2"; do
	smtp_send sender@example.org "$rc" --body "catch-$rc" || fail "catch-all $rc: accepted" "$(swaks_reply)"
	assert_eq "catch-all receives $rc" 1 "$(wait_count "$KU" "$KP" "catch-$rc" 1)"
done
smtp_send sender@example.org "info@$D2" --body "prec-$tag" || fail "precedence: accepted" "$(swaks_reply)"
smtp_send sender@example.org "list@$D2" --body "prec2-$tag" || fail "precedence: accepted" "$(swaks_reply)"
assert_eq "account before catch-all" 1 "$(wait_count "$IU" "$IP" "prec-$tag" 1)"
assert_eq "alias before catch-all" 1 "$(wait_count "$IU" "$IP" "prec2-$tag" 1)"
assert_eq "catch-all got neither" 0 "$(imap_count "$KU" "$KP" "prec")"

# --- inactive domain (last: it disables $D) ------------------------------------------
sql "UPDATE domain SET active = false WHERE name = '$D'" >/dev/null
r=$(rcpt_reply "alice@$D")
assert_contains "inactive domain: 550 5.1.2 at RCPT" "$r" "550 5.1.2"

# --- SRS bounces -------------------------------------------------------------------------
if f=$(catcher_wait "redir-$tag" 5); then
	srs=$(sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$f")
	smtp_send "<>" "$srs" --body "bounce-$tag" || fail "SRS bounce accepted" "$(swaks_reply)"
	if g=$(catcher_wait "bounce-$tag" 20); then
		assert_contains "SRS bounce goes back to the original sender" "$(cat "$g")" "X-Rcpt-Args: <sender@example.org>"
	else
		fail "SRS bounce goes back to the original sender" "nothing at the catcher"
	fi
	r=$(rcpt_reply "SRS0=AAAAAAAA=${srs#SRS0=*=}")
	assert_contains "forged SRS address refused at RCPT" "$r" "550 5.1.1"
fi
finish
