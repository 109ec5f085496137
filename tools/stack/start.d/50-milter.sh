#!/bin/bash
# tools/stack/start.d/50-milter.sh - start casier-milter (issue 7).
#
# Run by tools/up as root before Postfix starts.  casier-milter writes its
# pid file ($CASIER_PID_DIR/milter.pid, the supervisor process) and drops
# to user casier itself; tools/down stops it with SIGTERM.  Fails when the
# milter does not come up, so the stack never runs with mail unscanned
# (Postfix would tempfail every message anyway: milter_default_action).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
CASIER_PROG=start-milter
stack_env

bin=$CASIER_BIN_DIR/scan/casier-milter
logf=$CASIER_LOG_DIR/milter.log
sock=$CASIER_SOCK_DIR/milter.sock
[ -x "$bin" ] || die "$bin is not built"
if pid_alive "$CASIER_PID_DIR/milter.pid"; then
	log "casier-milter already runs (pid $(head -n 1 "$CASIER_PID_DIR/milter.pid"))"
	exit 0
fi
"$bin" -c "$CASIER_CONFIG" -t >>"$logf" 2>&1 ||
	die "casier-milter -t failed; look at $logf"
rm -f "$sock"
(setsid "$bin" -c "$CASIER_CONFIG" </dev/null >>"$logf" 2>&1 &)
wait_socket "$sock" casier-milter "$logf"
pid_alive "$CASIER_PID_DIR/milter.pid" || die "casier-milter exited; look at $logf"
