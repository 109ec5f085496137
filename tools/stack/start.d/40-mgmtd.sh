#!/bin/bash
# tools/stack/start.d/40-mgmtd.sh - start casier-mgmtd (issue 4).
#
# Run by tools/up as root.  casier-mgmtd starts as root only to read the
# TLS key, then drops to user casier by itself (it refuses to serve as
# root); it never touches the mail store.  Listens on 127.0.0.1 at
# $CASIER_HTTP_PORT (+80) and $CASIER_HTTPS_PORT (+443), logs (one
# access line per request) to $CASIER_LOG_DIR/mgmtd.log, pid in
# $CASIER_PID_DIR/mgmtd.pid; tools/down stops it with SIGTERM.
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=start-mgmtd

bin=$CASIER_BIN_DIR/mgmtd/casier-mgmtd
logf=$CASIER_LOG_DIR/mgmtd.log
pidf=$CASIER_PID_DIR/mgmtd.pid
[ -x "$bin" ] || die "$bin is not built"
"$bin" -c "$CASIER_CONFIG" -t >>"$logf" 2>&1 ||
	die "casier-mgmtd -t failed; look at $logf"
pid_alive "$pidf" && stop_pidfile "$pidf"
touch "$logf" && chown casier "$logf"
(
	setsid "$bin" -c "$CASIER_CONFIG" </dev/null >>"$logf" 2>&1 &
	echo $! >"$pidf"
)
wait_port "$CASIER_HTTP_PORT" casier-mgmtd "$logf"
wait_port "$CASIER_HTTPS_PORT" casier-mgmtd "$logf"
pid_alive "$pidf" || die "casier-mgmtd exited; look at $logf"
