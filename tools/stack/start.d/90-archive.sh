#!/bin/bash
# tools/stack/start.d/90-archive.sh - start "casier-archive daemon"
# (issue 8): the maintenance pass every [archive] interval and the outbox
# (re-sends, volume notifications) every 5 seconds.  Started as root, it
# writes its pid file and drops to casier; tools/down stops it (SIGTERM).
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=start-archive

bin=$CASIER_BIN_DIR/archive/casier-archive
logf=$CASIER_LOG_DIR/archive.log
pidf=$CASIER_PID_DIR/archive.pid
[ -x "$bin" ] || die "$bin is not built"
"$bin" -c "$CASIER_CONFIG" -t >>"$logf" 2>&1 ||
	die "casier-archive -t failed; look at $logf"
pid_alive "$pidf" && stop_pidfile "$pidf"
touch "$logf" && chown casier "$logf"
(setsid "$bin" -c "$CASIER_CONFIG" -u casier daemon </dev/null >>"$logf" 2>&1 &)
for _ in $(seq 50); do
	pid_alive "$pidf" && break
	sleep 0.1
done
pid_alive "$pidf" || die "casier-archive exited; look at $logf"
