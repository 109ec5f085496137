#!/bin/bash
# tools/stack/start.d/45-vacation-sync.sh - start casier-vacation-sync
# --listen (issue 5, docs/vacation.md): it installs and removes vacation
# Sieve scripts for the vacation.sync jobs that the database triggers file
# on every vacation, alias or alias-domain change.
#
# Run by tools/up as root.  It writes its pid file as root, then drops to
# vmail, which owns the mail store; tools/down stops it with SIGTERM.
# Remove this script once casier-deliverd's job loop runs vacation.sync
# jobs (delivery/job-vacation.h); both may run at once meanwhile.
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=start-vacation-sync

bin=$CASIER_BIN_DIR/casier-vacation-sync
logf=$CASIER_LOG_DIR/vacation-sync.log
pidf=$CASIER_PID_DIR/vacation-sync.pid
[ -x "$bin" ] || die "$bin is not built"
rm -f "$pidf"
(setsid "$bin" -c "$CASIER_CONFIG" -u vmail -p "$pidf" --listen </dev/null >>"$logf" 2>&1 &)
for _ in $(seq 1 50); do
	[ -s "$pidf" ] && break
	sleep 0.1
done
sleep 0.3
pid_alive "$pidf" || die "casier-vacation-sync exited; look at $logf"
