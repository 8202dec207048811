#!/usr/bin/env bash
# Digest fan-out benchmark (benches/fanout.rs): N subscriptions due at the same minute, posted
# by the release binary to the stand-in, which answers each post after ~100 ms under a global
# limit of 50 requests/s and Discord's route buckets. Runs each N plainly and killed (SIGKILL)
# halfway then restarted, and prints the reports with the machine they ran on.
#
#   bench/fanout.sh                    # N = 2,000 and 10,000
#   SIZES=2000 KILL="0" bench/fanout.sh
#
#   WORKERS=2 bench/fanout.sh          # two digest workers sharing a throwaway PostgreSQL
#
# Knobs: SIZES ["2000 10000"], KILL ["0 1"], WORKERS [1], FANOUT_RATE [50],
# FANOUT_DELAY_MS [100], FANOUT_LEAD_S [10]. Nothing is installed; the build is
# `cargo bench --bench fanout` (with `--features postgres` when WORKERS > 1, which also needs
# PostgreSQL's initdb, e.g. Debian's postgresql package).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000 10000"}
KILL=${KILL:-"0 1"}
WORKERS=${WORKERS:-1}
FEATURES=()

if ((WORKERS > 1)); then
  # A throwaway cluster in a temp dir on a free port, as an unprivileged user when root.
  # The real directory: a symlinked initdb (/usr/local/bin) has no createdb or pg_ctl beside it.
  bin=$(dirname "$(readlink -f "$(command -v initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' | head -1)")")
  [[ -x $bin/initdb ]] || { echo "WORKERS > 1 needs PostgreSQL (initdb)" >&2; exit 1; }
  pgdir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner=()
  if [[ $(id -u) == 0 ]]; then chown nobody "$pgdir"; as_owner=(runuser -u nobody --); fi
  "${as_owner[@]}" "$bin/initdb" -D "$pgdir/data" -U factdesk --auth=trust --no-sync >/dev/null
  "${as_owner[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
    -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  trap '"${as_owner[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null; rm -rf "$pgdir"' EXIT
  FEATURES=(--features postgres)
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
cargo bench --bench fanout "${FEATURES[@]}" --no-run 2>&1 | tail -1
run=0
for n in $SIZES; do
  for kill in $KILL; do
    url=
    if ((WORKERS > 1)); then # a fresh database per run
      run=$((run + 1))
      "${as_owner[@]}" "$bin/createdb" -h "$pgdir" -p "$port" -U factdesk "fanout$run"
      url="postgres://factdesk@127.0.0.1:$port/fanout$run"
    fi
    FANOUT_N=$n FANOUT_KILL=$kill FANOUT_WORKERS=$WORKERS FANOUT_DATABASE_URL=$url \
      cargo bench --bench fanout "${FEATURES[@]}" 2>/dev/null
    echo "  (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
  done
done
