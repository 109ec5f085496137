#!/bin/bash
# bench/archive/delivery.sh - end-to-end delivery throughput with
# archiving on vs off, in the same run, through a running stack
# (tools/up): N messages over S SMTP sessions into the inbound port
# (smtp-source), timed until all are in the Dovecot mailbox; alternately
# to an account of an archived domain and of a non-archived one, twice
# each (off, on, off, on).  If nothing was archived in the "on" runs the
# script says so (a deliverd without the archive hook).
#
#   bench/archive/delivery.sh [N] [SESSIONS]     (defaults 400, 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${CASIER_RUN_DIR:=$src/run}"
set -a
. "$CASIER_RUN_DIR/stack.env"
set +a
n=${1:-400}
sessions=${2:-4}
admin=("$CASIER_BIN_DIR/admin/casier-admin" -c "$CASIER_CONFIG")
q() { psql -X -q -At -h "$CASIER_PGHOST" -p "$CASIER_PGPORT" -U casier casier -c "$1"; }
tag=b$$
for k in on off; do
	"${admin[@]}" domain-add "$k$tag.bench.test" "$k$tag" 10 0 >/dev/null
	CASIER_PASSWORD=Bench-pass-1234 "${admin[@]}" account-add "box@$k$tag.bench.test" >/dev/null
done
q "UPDATE domain SET archive_enabled = true, archive_tier_gb = 10 WHERE name = 'on$tag.bench.test'" >/dev/null

count() { find "$CASIER_MAIL_ROOT/$1$tag.bench.test" -path '*/new/*' -type f 2>/dev/null | wc -l; }
run() { # on|off -> messages per second
	local k=$1 before t0 t1
	before=$(count "$k")
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$n" -l 4096 -f sender@remote.example \
		-t "box@$k$tag.bench.test" "127.0.0.1:$CASIER_SMTP_PORT"
	while [ "$(count "$k")" -lt $((before + n)) ]; do sleep 0.1; done
	t1=$(date +%s.%N)
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", n / (b - a) }'
}
declare -A sum=([on]=0 [off]=0)
echo "| pass | archiving | messages/s |"
echo "|---|---|---:|"
i=0
for k in off on off on; do
	i=$((i + 1))
	r=$(run "$k")
	sum[$k]=$(awk -v a="${sum[$k]}" -v b="$r" 'BEGIN { printf "%.3f", a + b }')
	printf '| %d | %s | %.1f |\n' "$i" "$k" "$r"
done
archived=$(q "SELECT count(*) FROM archive_message m JOIN domain d ON d.id = m.domain_id WHERE d.name = 'on$tag.bench.test'")
printf '\nratio on/off (mean of two passes each): %.2f; archived: %s of %s\n' \
	"$(awk -v a="${sum[on]}" -v b="${sum[off]}" 'BEGIN { printf "%.3f", a / b }')" "$archived" $((2 * n))
[ "$archived" -gt 0 ] || echo "casier-deliverd archived nothing: is the archive hook in delivery/deliver.c built in?"
