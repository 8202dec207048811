#!/usr/bin/env bash
# Digest fan-out benchmark (benches/fanout.rs): N subscriptions due at the same minute, posted
# by the release binary to the stand-in, which answers each post after ~100 ms under a global
# limit of 50 requests/s and Discord's route buckets. Runs each N plainly and killed (SIGKILL)
# halfway then restarted, and prints the reports with the machine they ran on.
#
#   bench/fanout.sh                    # N = 2,000 and 10,000
#   SIZES=2000 KILL="0" bench/fanout.sh
#
# Knobs: SIZES ["2000 10000"], KILL ["0 1"], FANOUT_RATE [50], FANOUT_DELAY_MS [100],
# FANOUT_LEAD_S [10]. Nothing is installed; the build is `cargo bench --bench fanout`.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000 10000"}
KILL=${KILL:-"0 1"}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
cargo bench --bench fanout --no-run 2>&1 | tail -1
for n in $SIZES; do
  for kill in $KILL; do
    FANOUT_N=$n FANOUT_KILL=$kill cargo bench --bench fanout 2>/dev/null
    echo "  (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
  done
done
