#!/bin/bash
# 22-delivery-jobs.sh - casier-deliverd consumes mail_job (DESIGN section
# 9: a deleted account's mail is gone within 10 s).
#   - mailbox.delete removes <mail_root>/<domain>/<username>/ and marks
#     the job done;
#   - the mail of an account that still exists is never removed;
#   - a symbolic link in place of a mailbox is removed, never followed;
#   - a username with a path in it is refused and nothing is removed.
# Prints PASS:/FAIL: lines; exits non-zero when something failed.
set -u
. "$(dirname "$0")/2x-delivery-lib.sh"

new_domain 50 10 || { fail setup "new_domain"; finish; }
D=$DOMAIN
new_account "gone@$D" || { fail setup "account"; finish; }
U=$USERNAME P=$PASSWORD
new_account "stays@$D" || { fail setup "account"; finish; }
U2=$USERNAME P2=$PASSWORD
tag=$$-$RANDOM
smtp_send sender@example.org "gone@$D" --body "job-$tag" || fail setup "send"
smtp_send sender@example.org "stays@$D" --body "job-$tag" || fail setup "send"
wait_count "$U" "$P" "job-$tag" 1 >/dev/null || fail setup "first delivery"
wait_count "$U2" "$P2" "job-$tag" 1 >/dev/null || fail setup "second delivery"
dir=$CASIER_MAIL_ROOT/$D/$U
[ -d "$dir/Maildir" ] && pass "the mailbox exists before" || fail "the mailbox exists before" "$dir"

add_job() {
	sql "INSERT INTO mail_job (kind, username, domain_name) VALUES ('mailbox.delete', '$1', '$2') RETURNING id"
}
job_state() { sql "SELECT done_at IS NOT NULL, coalesce(last_error, '') FROM mail_job WHERE id = $1"; }
wait_job() { # ID: wait until done or an error was recorded (10 s)
	local i s
	for i in $(seq 1 50); do
		s=$(job_state "$1")
		case $s in t\|* | f\|?*) break ;; esac
		sleep 0.2
	done
	printf '%s\n' "$s"
}

sql "DELETE FROM account WHERE username = '$U'" >/dev/null
start=$(date +%s)
id=$(add_job "$U" "$D")
s=$(wait_job "$id")
assert_eq "mailbox.delete: job done" "t|" "$s"
if [ ! -e "$dir" ] && [ $(($(date +%s) - start)) -le 10 ]; then
	pass "mailbox.delete: the mail is gone within 10 s"
else
	fail "mailbox.delete: the mail is gone within 10 s" "$(ls -la "$dir" 2>&1 | head -3)"
fi

id=$(add_job "$U2" "$D")
s=$(wait_job "$id")
assert_eq "an existing account's mail is kept (job not done, error recorded)" "f|the account still exists" "$s"
[ -d "$CASIER_MAIL_ROOT/$D/$U2/Maildir" ] && pass "an existing account's mailbox is still there" ||
	fail "an existing account's mailbox is still there" "missing"

outside=$TEST_TMP/outside
mkdir -p "$outside/Maildir" && echo precious >"$outside/Maildir/keep"
fake=${PREFIX}9999
ln -s "$outside" "$CASIER_MAIL_ROOT/$D/$fake"
id=$(add_job "$fake" "$D")
s=$(wait_job "$id")
assert_eq "symlink in place of a mailbox: job done" "t|" "$s"
[ ! -L "$CASIER_MAIL_ROOT/$D/$fake" ] && pass "symlink removed" || fail "symlink removed" "still there"
[ -f "$outside/Maildir/keep" ] && pass "the symlink's target is untouched" || fail "the symlink's target is untouched" "gone"

id=$(add_job "../$U2" "$D")
s=$(wait_job "$id")
assert_eq "path in a username refused" "f|invalid domain or username" "$s"
[ -d "$CASIER_MAIL_ROOT/$D/$U2/Maildir" ] && pass "nothing removed for a bad name" || fail "nothing removed for a bad name" "removed"
sql "UPDATE mail_job SET done_at = now() WHERE username IN ('$U2', '../$U2')" >/dev/null
finish
