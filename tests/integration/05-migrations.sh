#!/bin/bash
# 05-migrations.sh - the migration runner (casier-admin migrate) against
# the stack's PostgreSQL, in a throwaway database of its own:
#   - applies every sql/NNN_*.sql from empty and records each version;
#   - a second run is a no-op;
#   - two runners started together both succeed (advisory lock);
#   - a broken migration fails, names its file, and leaves no change;
#   - two files with the same number are refused before anything runs;
#   - an unreachable database exits 75, a bad config file exits 78.
# Needs CASIER_PGHOST and CASIER_PGPORT (run/stack.env) and a role
# "casier" allowed to create databases.  Prints PASS:/FAIL: lines.

set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
: "${CASIER_PGHOST:?CASIER_PGHOST not set (source run/stack.env)}"
: "${CASIER_PGPORT:?CASIER_PGPORT not set (source run/stack.env)}"

admin=${CASIER_ADMIN:-}
if [ -z "$admin" ]; then
	for f in "${CASIER_BUILD_DIR:-$src/build}/admin/casier-admin" \
		"${CASIER_BIN_DIR:-/nonexistent}/admin/casier-admin" \
		"${CASIER_BIN_DIR:-/nonexistent}/casier-admin"; do
		[ -x "$f" ] && { admin=$f; break; }
	done
fi

failures=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; failures=$((failures + 1)); }

if [ -z "$admin" ]; then
	fail "migrations" "casier-admin not found (set CASIER_ADMIN or CASIER_BUILD_DIR)"
	exit 1
fi

tmp=$(mktemp -d /tmp/casier-mig.XXXXXX)
chmod 755 "$tmp"
db=casier_migtest_$$
db2=casier_migtest2_$$
cleanup() {
	dropdb -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier --if-exists "$db" 2>/dev/null
	dropdb -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier --if-exists "$db2" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

q() { # q DB SQL: one value
	psql -X -q -tA -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d "$1" -c "$2"
}
conf() { # conf DB FILE
	printf '[database]\nconninfo = host=%s port=%s dbname=%s user=casier\n' \
		"$CASIER_PGHOST" "$CASIER_PGPORT" "$1" >"$2"
}

for d in "$db" "$db2"; do
	if ! err=$(createdb -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier "$d" 2>&1); then
		fail "migrations" "cannot create a scratch database ($err); the role casier needs CREATEDB"
		exit 1
	fi
done
conf "$db" "$tmp/casier.conf"
conf "$db2" "$tmp/casier2.conf"

nfiles=$(ls "$src"/sql | grep -cE '^[0-9]{3}_[a-z0-9_]+\.sql$')

# 1. From empty.
if out=$("$admin" -c "$tmp/casier.conf" migrate --dir "$src/sql" 2>&1); then
	n=$(q "$db" "SELECT count(*) FROM schema_migration")
	if [ "$n" = "$nfiles" ] && [ "$(q "$db" "SELECT to_regclass('account') IS NOT NULL")" = t ]; then
		pass "migrate applies all $nfiles files from empty"
	else
		fail "migrate from empty" "$n versions recorded, $nfiles files"
	fi
else
	fail "migrate from empty" "exit $?: $out"
fi

# 2. Re-run is a no-op.
before=$(q "$db" "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migration")
if out=$("$admin" -c "$tmp/casier.conf" migrate --dir "$src/sql" 2>&1); then
	after=$(q "$db" "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM schema_migration")
	if [ "$before" = "$after" ] && [ "$out" = "database is up to date" ]; then
		pass "re-running migrate is a no-op"
	else
		fail "re-run no-op" "output \"$out\"; versions changed: $([ "$before" = "$after" ] && echo no || echo yes)"
	fi
else
	fail "re-run no-op" "exit $?: $out"
fi

# 3. --status lists the applied versions.
out=$("$admin" -c "$tmp/casier.conf" migrate --status --dir "$src/sql" 2>&1)
first=$(ls "$src"/sql | grep -E '^[0-9]{3}_[a-z0-9_]+\.sql$' | sort | head -n 1)
if echo "$out" | grep -q "^${first%%_*} $first applied " &&
	[ "$(echo "$out" | grep -c ' applied ')" = "$nfiles" ]; then
	pass "migrate --status lists the applied versions"
else
	fail "migrate --status" "$out"
fi

# 4. A broken migration: fails, names itself, changes nothing.
mkdir "$tmp/sql-broken"
cp "$src"/sql/*.sql "$tmp/sql-broken/"
cat >"$tmp/sql-broken/999_broken.sql" <<'SQL'
CREATE TABLE migtest_probe (id integer);
INSERT INTO migtest_probe VALUES (1);
SELECT 1 / 0;
SQL
out=$("$admin" -c "$tmp/casier.conf" migrate --dir "$tmp/sql-broken" 2>&1)
rc=$?
probe=$(q "$db" "SELECT to_regclass('migtest_probe') IS NULL")
rec=$(q "$db" "SELECT count(*) FROM schema_migration WHERE version = 999")
if [ "$rc" = 65 ] && echo "$out" | grep -q "migration 999_broken.sql failed: division by zero" &&
	[ "$probe" = t ] && [ "$rec" = 0 ]; then
	pass "a broken migration fails (exit 65), names its file and leaves no change"
else
	fail "broken migration" "exit $rc, output \"$out\", table absent=$probe, recorded=$rec"
fi

# 5. Two files with one number: refused before anything is applied.
mkdir "$tmp/sql-dup"
cp "$src"/sql/*.sql "$tmp/sql-dup/"
echo "CREATE TABLE migtest_a (id integer);" >"$tmp/sql-dup/990_a.sql"
echo "CREATE TABLE migtest_dup (id integer);" >"$tmp/sql-dup/998_one.sql"
echo "CREATE TABLE migtest_dup2 (id integer);" >"$tmp/sql-dup/998_two.sql"
echo "not a migration" >"$tmp/sql-dup/README.txt"
out=$("$admin" -c "$tmp/casier.conf" migrate --dir "$tmp/sql-dup" 2>&1)
rc=$?
if [ "$rc" = 65 ] && echo "$out" | grep -q "two migrations numbered 998" &&
	[ "$(q "$db" "SELECT to_regclass('migtest_a') IS NULL")" = t ]; then
	pass "two migrations with the same number are refused before any change"
else
	fail "duplicate numbers" "exit $rc, output \"$out\""
fi

# 6. Two runners at once on an empty database both succeed.
"$admin" -c "$tmp/casier2.conf" migrate --dir "$src/sql" >"$tmp/r1.out" 2>&1 &
p1=$!
"$admin" -c "$tmp/casier2.conf" migrate --dir "$src/sql" >"$tmp/r2.out" 2>&1 &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
n=$(q "$db2" "SELECT count(*) FROM schema_migration")
applied=$(cat "$tmp/r1.out" "$tmp/r2.out" | grep -c '^applied ')
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$n" = "$nfiles" ] && [ "$applied" = "$nfiles" ]; then
	pass "two concurrent runners serialise (each file applied once)"
else
	fail "concurrent runners" "exits $rc1/$rc2, $n versions, $applied applications: $(cat "$tmp/r1.out" "$tmp/r2.out")"
fi

# 7. Unreachable database: temporary failure.
printf '[database]\nconninfo = host=%s port=1 dbname=x user=casier connect_timeout=2\n' "$tmp" >"$tmp/down.conf"
out=$("$admin" -c "$tmp/down.conf" migrate --dir "$src/sql" 2>&1)
rc=$?
if [ "$rc" = 75 ] && echo "$out" | grep -q "^casier-admin: database unavailable"; then
	pass "an unreachable database exits 75"
else
	fail "unreachable database" "exit $rc, output \"$out\""
fi

# 8. Configuration errors: exit 78 with file:line: reason.
printf '[database]\nconninfo = x\npoolsize = 3\n' >"$tmp/bad.conf"
out=$("$admin" -c "$tmp/bad.conf" migrate --dir "$src/sql" 2>&1)
rc=$?
if [ "$rc" = 78 ] && [ "$out" = "casier-admin: $tmp/bad.conf:3: unknown key \"poolsize\" in section [database]" ]; then
	pass "a bad configuration file exits 78 with file:line: reason"
else
	fail "bad configuration" "exit $rc, output \"$out\""
fi

exit $((failures > 0))
