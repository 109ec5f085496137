#!/bin/bash
# 11-submission.sh - SMTPS submission (issue 2 acceptance): AUTH PLAIN on
# the submission port; a user sends only as its own addresses (its address,
# its username, alias-domain variants, aliases that target it); another
# account's address is refused; no AUTH, no relay; remote mail goes to the
# test catcher.
. "$(dirname "$0")/lib.sh"

new_domain || { fail setup "cannot create a domain"; finish; }
alias_dom="$(uniq_name).alias.test"
casier_admin alias-domain-add "$alias_dom" "$DOMAIN" >/dev/null || fail setup "alias-domain-add"
new_account "alice@$DOMAIN" || { fail setup "account alice"; finish; }
a_user=$USERNAME a_pw=$PASSWORD
new_account "bob@$DOMAIN" || { fail setup "account bob"; finish; }
b_user=$USERNAME
# an alias that targets alice (by username), to check sender ownership
sql "INSERT INTO alias (domain_id, local_part, targets)
	SELECT id, 'sales', ARRAY['$a_user']::mail_target[] FROM domain WHERE name = '$DOMAIN'" >/dev/null ||
	fail setup "alias insert"

tag=$(uniq_name)
rcpt="friend-$tag@test.example"
check "SMTPS AUTH PLAIN and send as own address" submit "$a_user" "$a_pw" "alice@$DOMAIN" "$rcpt" \
	--h-Subject "submission $tag"
if f=$(catcher_wait "submission $tag"); then
	pass "message reaches the remote catcher"
	assert_contains "envelope sender kept" "$(grep '^X-Mail-Args:' "$f")" "<alice@$DOMAIN>"
else
	fail "message reaches the remote catcher" "nothing in $CASIER_CATCHER_DIR ($(swaks_reply))"
fi

check "login with the address, send as the username address" submit "alice@$DOMAIN" "$a_pw" \
	"$a_user@$DOMAIN" "$rcpt"
check "send as the alias-domain variant" submit "$a_user" "$a_pw" "alice@$alias_dom" "$rcpt"
check "send as an alias that targets the account" submit "$a_user" "$a_pw" "sales@$DOMAIN" "$rcpt"
check "send to a hosted address" submit "$a_user" "$a_pw" "alice@$DOMAIN" "bob@$DOMAIN"

check_fails "sending as another account's address is refused" submit "$a_user" "$a_pw" \
	"bob@$DOMAIN" "$rcpt"
assert_contains "refusal is 553 sender login mismatch" "$(swaks_reply)" "553"
check_fails "sending as another account's username address is refused" submit "$a_user" "$a_pw" \
	"$b_user@$alias_dom" "$rcpt"
check_fails "sending as an unhosted address is refused" submit "$a_user" "$a_pw" \
	"alice@example.org" "$rcpt"
check_fails "wrong password is refused" submit "$a_user" "${a_pw}x" "alice@$DOMAIN" "$rcpt"
assert_contains "wrong password gives 535" "$(swaks_reply)" "535"

# Without AUTH the submission port relays nothing.
check_fails "submission without AUTH does not relay" swaks --timeout 20 \
	--server "$CASIER_HOST:$CASIER_SUBMISSION_PORT" --tls-on-connect \
	--from "alice@$DOMAIN" --to "$rcpt"
# AUTH needs TLS: the port is implicit TLS only.
check_fails "submission port refuses plain-text SMTP" swaks --timeout 10 \
	--server "$CASIER_HOST:$CASIER_SUBMISSION_PORT" -a PLAIN -au "$a_user" -ap "$a_pw" \
	--from "alice@$DOMAIN" --to "$rcpt"

# Inactive accounts cannot submit.
casier_admin account-set "$a_user" inactive >/dev/null
flush_auth_cache "$a_user" >/dev/null
check_fails "inactive account cannot submit" submit "$a_user" "$a_pw" "alice@$DOMAIN" "$rcpt"
casier_admin account-set "$a_user" active >/dev/null

finish
