# tools/stack/lib.sh - shell functions shared by tools/up, tools/down,
# tools/test and tools/fuzz.  Sourced, never executed.
#
# Everything a stack touches moves with three variables:
#   CASIER_RUN_DIR   (default <repo>/run)   files, sockets, pids, logs, data
#   CASIER_BASE_PORT (default 20000)        every TCP port is base + offset
#   CASIER_BUILD_DIR (default <repo>/build) where the C programs are built
# See docs/stack.md.

CASIER_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CASIER_SRC_DIR

log() { printf '%s: %s\n' "${CASIER_PROG:-casier}" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# Absolute path of $1 (relative paths are taken from the repository root,
# so tools/up works from any current directory).
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$CASIER_SRC_DIR/$1" ;;
	esac
}

# Compute every derived variable from the three inputs and export them, so
# configure.d/ and start.d/ scripts and the tests see the same values.
stack_env() {
	CASIER_RUN_DIR=$(abspath "${CASIER_RUN_DIR:-run}")
	CASIER_BUILD_DIR=$(abspath "${CASIER_BUILD_DIR:-build}")
	CASIER_BASE_PORT=${CASIER_BASE_PORT:-20000}
	case $CASIER_BASE_PORT in
	*[!0-9]* | '') die "CASIER_BASE_PORT must be a number" ;;
	esac
	[ "$CASIER_BASE_PORT" -ge 1024 ] && [ "$CASIER_BASE_PORT" -le 60000 ] ||
		die "CASIER_BASE_PORT must be between 1024 and 60000 (ports go up to base+2525)"
	local b=$CASIER_BASE_PORT
	CASIER_BIN_DIR=$CASIER_BUILD_DIR
	CASIER_HOST=127.0.0.1
	CASIER_SMTP_PORT=$((b + 25))
	CASIER_REINJECT_PORT=$((b + 26))
	CASIER_SUBMISSION_PORT=$((b + 465))
	CASIER_IMAP_PORT=$((b + 143))
	CASIER_IMAPS_PORT=$((b + 993))
	CASIER_POP3_PORT=$((b + 110))
	CASIER_POP3S_PORT=$((b + 995))
	CASIER_HTTP_PORT=$((b + 80))
	CASIER_HTTPS_PORT=$((b + 443))
	CASIER_PGPORT=$((b + 432))
	CASIER_CATCHER_PORT=$((b + 2525))
	CASIER_SOCK_DIR=$CASIER_RUN_DIR/sock
	CASIER_PGHOST=$CASIER_SOCK_DIR
	CASIER_PID_DIR=$CASIER_RUN_DIR/pids
	CASIER_LOG_DIR=$CASIER_RUN_DIR/log
	CASIER_MAIL_ROOT=$CASIER_RUN_DIR/mail
	CASIER_CATCHER_DIR=$CASIER_RUN_DIR/catcher
	CASIER_CONFIG=$CASIER_RUN_DIR/casier.conf
	CASIER_TLS_DIR=$CASIER_RUN_DIR/tls
	CASIER_TLS_CA=$CASIER_TLS_DIR/ca.pem
	CASIER_TLS_CERT=$CASIER_TLS_DIR/server.pem
	CASIER_TLS_KEY=$CASIER_TLS_DIR/server.key
	CASIER_PG_DATA=$CASIER_RUN_DIR/pg
	CASIER_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	POSTFIX_DIR=$CASIER_RUN_DIR/postfix
	POSTFIX_QUEUE_DIR=$CASIER_RUN_DIR/postfix-queue
	DOVECOT_DIR=$CASIER_RUN_DIR/dovecot
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	DOVECOT_CONF_D=$DOVECOT_DIR/conf.d
	DOVECOT_BASE_DIR=$DOVECOT_DIR/base
	DOVECOT_INSTANCE=casier-$b
	DOVECOT_AUTH_MASTER=$DOVECOT_BASE_DIR/auth-master
	CASIER_WEB_URL=https://127.0.0.1:$CASIER_HTTPS_PORT
	CASIER_STOP=tools/down
	CASIER_STACK_ENV=$CASIER_RUN_DIR/stack.env
	CASIER_CONNINFO="host=$CASIER_PGHOST port=$CASIER_PGPORT dbname=casier user=casier"
	export CASIER_RUN_DIR CASIER_BUILD_DIR CASIER_BASE_PORT CASIER_BIN_DIR CASIER_HOST \
		CASIER_SMTP_PORT CASIER_REINJECT_PORT CASIER_SUBMISSION_PORT CASIER_IMAP_PORT \
		CASIER_IMAPS_PORT CASIER_POP3_PORT CASIER_POP3S_PORT CASIER_HTTP_PORT \
		CASIER_HTTPS_PORT CASIER_PGPORT CASIER_CATCHER_PORT CASIER_SOCK_DIR CASIER_PGHOST \
		CASIER_PID_DIR CASIER_LOG_DIR CASIER_MAIL_ROOT CASIER_CATCHER_DIR CASIER_CONFIG \
		CASIER_TLS_DIR CASIER_TLS_CA CASIER_TLS_CERT CASIER_TLS_KEY CASIER_PG_DATA \
		CASIER_PG_BIN POSTFIX_DIR POSTFIX_QUEUE_DIR DOVECOT_DIR DOVECOT_CONF \
		DOVECOT_CONF_D DOVECOT_BASE_DIR DOVECOT_INSTANCE DOVECOT_AUTH_MASTER CASIER_WEB_URL CASIER_STOP \
		CASIER_STACK_ENV CASIER_CONNINFO
}

# --- packages --------------------------------------------------------------

# Print the packages of tools/packages that are not installed.
packages_missing() {
	local p opt status
	sed -e 's/#.*//' "$CASIER_SRC_DIR/tools/packages" | while read -r p opt; do
		[ -n "$p" ] || continue
		# "name command=CMD": satisfied when CMD is on the PATH (npm comes
		# bundled with some nodejs builds that conflict with Debian's npm)
		case $opt in
		command=*) command -v "${opt#command=}" >/dev/null 2>&1 && continue ;;
		esac
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case $status in
		*" installed") ;;
		*) printf '%s\n' "$p" ;;
		esac
	done
}

# Install whatever tools/packages lists and is missing.  As root with
# apt-get; otherwise fail with the list.  CASIER_SKIP_PACKAGES=1 skips the
# step (for machines managed otherwise).
packages_install() {
	[ "${CASIER_SKIP_PACKAGES:-0}" = 1 ] && return 0
	local missing
	missing=$(packages_missing | tr '\n' ' ')
	[ -z "${missing// /}" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		die "missing Debian packages (run as root, or: sudo apt-get install $missing)"
	fi
	log "installing Debian packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get -o DPkg::Lock::Timeout=600 update -q >"${TMPDIR:-/tmp}/casier-apt-update.log" 2>&1 ||
		die "apt-get update failed (see ${TMPDIR:-/tmp}/casier-apt-update.log)"
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing \
		>"${TMPDIR:-/tmp}/casier-apt-install.log" 2>&1 ||
		die "apt-get install failed (see ${TMPDIR:-/tmp}/casier-apt-install.log)"
	missing=$(packages_missing | tr '\n' ' ')
	[ -z "${missing// /}" ] || die "still missing after apt-get: $missing"
}

# --- build -----------------------------------------------------------------

# build_tree DIR [configure flags...]: autoreconf when needed, configure
# when needed (or when the flags changed), make.
build_tree() {
	local dir=$1
	shift
	local flags="$* ${CASIER_CONFIGURE_FLAGS:-}"
	if [ ! -x "$CASIER_SRC_DIR/configure" ] ||
		[ "$CASIER_SRC_DIR/configure.ac" -nt "$CASIER_SRC_DIR/configure" ]; then
		log "autoreconf -fi"
		(cd "$CASIER_SRC_DIR" && autoreconf -fi) >"${TMPDIR:-/tmp}/casier-autoreconf.$$.log" 2>&1 ||
			{
				cat "${TMPDIR:-/tmp}/casier-autoreconf.$$.log" >&2
				die "autoreconf failed"
			}
		rm -f "${TMPDIR:-/tmp}/casier-autoreconf.$$.log"
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.casier-flags" 2>/dev/null)" != "$flags" ] ||
		[ "$CASIER_SRC_DIR/configure" -nt "$dir/Makefile" ]; then
		log "configure in $dir ($flags)"
		# shellcheck disable=SC2086
		(cd "$dir" && "$CASIER_SRC_DIR/configure" $flags) >"$dir/configure.out" 2>&1 ||
			{
				tail -n 30 "$dir/configure.out" >&2
				die "configure failed (see $dir/configure.out)"
			}
		printf '%s' "$flags" >"$dir/.casier-flags"
	fi
	log "make in $dir"
	make -C "$dir" -j"$(nproc)" >"$dir/make.out" 2>&1 ||
		{
			grep -E 'error|Error|No rule' "$dir/make.out" | head -n 30 >&2
			die "make failed (see $dir/make.out)"
		}
}

# --- processes -------------------------------------------------------------

# wait_port PORT NAME LOGFILE: wait (bounded) until something listens on
# 127.0.0.1:PORT.
wait_port() {
	local port=$1 name=$2 logf=$3 i
	for i in $(seq 1 100); do
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	die "$name does not listen on port $port after 10 s; look at $logf"
}

# wait_socket PATH NAME LOGFILE
wait_socket() {
	local path=$1 name=$2 logf=$3 i
	for i in $(seq 1 100); do
		[ -S "$path" ] && return 0
		sleep 0.1
	done
	die "$name did not create $path after 10 s; look at $logf"
}

# pid_alive FILE: the pid in FILE runs.
pid_alive() {
	local pid
	[ -f "$1" ] || return 1
	pid=$(head -n 1 "$1" 2>/dev/null)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_pidfile FILE: TERM, wait up to 10 s, then KILL; remove the file.
stop_pidfile() {
	local f=$1 pid i
	pid=$(head -n 1 "$f" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$(basename "$f" .pid) did not stop, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

# The stack is up when its PostgreSQL runs and stack.env exists.
stack_running() {
	[ -f "$CASIER_STACK_ENV" ] && [ -n "$CASIER_PG_BIN" ] && [ -f "$CASIER_PG_DATA/postmaster.pid" ] &&
		runuser -u postgres -- "$CASIER_PG_BIN/pg_ctl" -D "$CASIER_PG_DATA" status >/dev/null 2>&1
}

# Run SQL against the stack's database as the casier role.
stack_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier -d casier "$@"
}

# Path of casier-admin in the build, empty when it is not built (yet).
casier_admin_bin() {
	local f
	for f in "$CASIER_BIN_DIR/casier-admin" "$CASIER_BIN_DIR/admin/casier-admin"; do
		[ -x "$f" ] && {
			printf '%s\n' "$f"
			return 0
		}
	done
	return 0
}

# render TEMPLATE OUTPUT: replace every @NAME@ with the value of the
# environment variable NAME (exported); an unknown name is an error.
render() {
	perl -pe 's/\@([A-Z][A-Z0-9_]*)\@/exists $ENV{$1} ? $ENV{$1} : die "$ARGV: unknown variable \@$1\@\n"/ge' \
		"$1" >"$2.tmp" || die "cannot render $1"
	mv "$2.tmp" "$2"
}

# ensure_searchable PATH...: the daemons run as postgres, dovecot, postfix,
# vmail and casier and read the repository (templates, word list), the
# build (programs) and the run directory, so every parent directory must be
# searchable by others.  As root, add the search bit (o+x: no listing) where
# it is missing, e.g. /root on a CI machine that clones there.
ensure_searchable() {
	local p d perm
	for p in "$@"; do
		d=$p
		while [ "$d" != / ] && [ -n "$d" ]; do
			d=$(dirname "$d")
			[ -d "$d" ] || continue
			perm=$(stat -c %A "$d")
			case ${perm:9:1} in
			x | t) ;;
			*)
				if [ "$(id -u)" = 0 ]; then
					log "making $d searchable by the daemons (chmod o+x)"
					chmod o+x "$d" || die "cannot chmod o+x $d"
				else
					die "$d is not searchable by other users (mode $perm): chmod o+x it"
				fi
				;;
			esac
		done
	done
}
