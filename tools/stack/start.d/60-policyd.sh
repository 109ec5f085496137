#!/bin/bash
# tools/stack/start.d/60-policyd.sh - start casier-policyd (issue 6).
#
# Run by tools/up as root before Postfix starts.  casier-policyd needs no
# privileges: it runs as user casier from the start (setpriv), listens on
# $CASIER_SOCK_DIR/policyd.sock and writes $CASIER_PID_DIR/policyd.pid
# (created here for it, the pid directory belongs to root); tools/down
# stops it with SIGTERM.  Fails when the daemon does not come up.
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=start-policyd

bin=$CASIER_BIN_DIR/policy/casier-policyd
logf=$CASIER_LOG_DIR/policyd.log
sock=$CASIER_SOCK_DIR/policyd.sock
pidf=$CASIER_PID_DIR/policyd.pid
[ -x "$bin" ] || die "$bin is not built"
run_as_casier() { setpriv --reuid=casier --regid=casier --init-groups -- "$@"; }
run_as_casier "$bin" -c "$CASIER_CONFIG" -t >>"$logf" 2>&1 ||
	die "casier-policyd -t failed; look at $logf"
pid_alive "$pidf" && stop_pidfile "$pidf"
rm -f "$sock"
install -o casier -g casier -m 0644 /dev/null "$pidf"
touch "$logf" && chown casier "$logf"
(setsid setpriv --reuid=casier --regid=casier --init-groups -- \
	"$bin" -c "$CASIER_CONFIG" -p "$pidf" </dev/null >>"$logf" 2>&1 &)
wait_socket "$sock" casier-policyd "$logf"
pid_alive "$pidf" || die "casier-policyd exited; look at $logf"
