#!/bin/bash
# tools/stack/start.d/30-deliverd.sh - start casier-deliverd (issue 3).
#
# Run by tools/up as root before Postfix starts.  casier-deliverd writes
# its pid file ($CASIER_PID_DIR/deliverd.pid) as root, then drops to
# vmail (-u); tools/down stops it with SIGTERM (it finishes the LMTP
# transactions in flight first).
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=start-deliverd

bin=$CASIER_BIN_DIR/delivery/casier-deliverd
logf=$CASIER_LOG_DIR/deliverd.log
sock=$CASIER_SOCK_DIR/deliverd-lmtp
[ -x "$bin" ] || die "$bin is not built"
"$bin" -c "$CASIER_CONFIG" -t >>"$logf" 2>&1 ||
	die "casier-deliverd -t failed; look at $logf"
rm -f "$sock"
(setsid "$bin" -c "$CASIER_CONFIG" -u vmail </dev/null >>"$logf" 2>&1 &)
wait_socket "$sock" casier-deliverd "$logf"
wait_socket "$CASIER_SOCK_DIR/deliverd-policy" casier-deliverd "$logf"
pid_alive "$CASIER_PID_DIR/deliverd.pid" || die "casier-deliverd exited; look at $logf"
