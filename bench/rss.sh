#!/usr/bin/env bash
# Memory under load with nobody scraping /metrics: starts target/release/factdesk serve --http,
# loads it with wrk (the signed /dates request of bench/run.sh) for DURATION seconds and prints
# the server's resident memory (VmRSS) at the start, every SAMPLE seconds, and at the end.
# Flat is right: a recorder that keeps every latency sample until a scrape grows by ~16 bytes
# per interaction (issue 11, item 3: 11.9 -> 24.3 MB over 60 s before the metrics upkeep).
#
# Knobs (environment):
#   DURATION=60       seconds of load (at most 240: signatures are 5-minute fresh)
#   SAMPLE=10         seconds between RSS samples
#   CONNECTIONS=64    wrk connections (wrk runs with -t1)
#   SCRAPE=0          1 = also GET /metrics every SAMPLE seconds (the comparison run)
#   SERVER_CPU=0 LOAD_CPU=1   taskset CPUs
#   PORT=18090
#   FACTDESK_BUILD=1  run `cargo build --release` first (0 = use the binary as is)
#   FACTDESK_BIN=target/release/factdesk   FACTDESK_FACTS=facts.toml
#   FACTDESK_ACCESS_LOG=info   the server's access log (its log goes to a file in the run dir)
#   FACTDESK_BENCH_CACHE=~/.cache/factdesk-bench   venv (PyNaCl for sign.py) and run logs
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

DURATION=${DURATION:-60}
SAMPLE=${SAMPLE:-10}
CONNECTIONS=${CONNECTIONS:-64}
SCRAPE=${SCRAPE:-0}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PORT=${PORT:-18090}
FACTDESK_BUILD=${FACTDESK_BUILD:-1}
FACTDESK_BIN=${FACTDESK_BIN:-$REPO/target/release/factdesk}
FACTDESK_FACTS=${FACTDESK_FACTS:-$REPO/facts.toml}
ACCESS_LOG=${FACTDESK_ACCESS_LOG:-info}
CACHE=${FACTDESK_BENCH_CACHE:-$HOME/.cache/factdesk-bench}

log() { printf '[rss %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $DURATION =~ ^[0-9]+$ ]] && ((DURATION >= 1 && DURATION <= 240)) || die "DURATION must be 1..240 seconds"
[[ $SAMPLE =~ ^[0-9]+$ ]] && ((SAMPLE >= 1)) || die "SAMPLE must be a positive number of seconds"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"

WORK=$CACHE/runs/rss-$(date +%Y%m%d-%H%M%S)
REQ=$WORK/req
mkdir -p "$REQ"
log "logs in $WORK"

SERVER_PID=""
LOAD_PID=""
cleanup() {
  local pid
  for pid in $LOAD_PID $SERVER_PID; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $LOAD_PID $SERVER_PID; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- installs (as bench/run.sh)
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
need() { # need CMD [debian-package]
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing ${2:-$1}"
  as_root timeout 300 apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive as_root timeout 600 apt-get install -y -qq "${2:-$1}" >&2 || die "could not install ${2:-$1}"
}
need wrk
need taskset util-linux
need curl
need python3

VENV=$CACHE/venv
PY_REQ=$BENCH_DIR/peers/python/requirements.txt
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [[ ! -x $VENV/bin/python ]]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV" || die "cannot create venv (apt-get install python3-venv)"
fi
if [[ "$(cat "$VENV/.req-hash" 2>/dev/null)" != "$(hash_of "$PY_REQ")" ]]; then
  log "pip install -r peers/python/requirements.txt"
  timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PY_REQ" >&2 || die "pip install failed"
  hash_of "$PY_REQ" >"$VENV/.req-hash"
fi
PY=$VENV/bin/python

if [[ $FACTDESK_BUILD != 0 ]]; then
  log "cargo build --release (in $REPO)"
  (cd "$REPO" && timeout 3600 cargo build --release >"$WORK/cargo-build.log" 2>&1) ||
    die "cargo build --release failed (see $WORK/cargo-build.log)"
fi
[[ -x $FACTDESK_BIN ]] || die "no binary at $FACTDESK_BIN"

# ---------------------------------------------------------------- server
PUBKEY=$("$PY" "$BENCH_DIR/sign.py" --out "$REQ" --new-key)
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "port $PORT is already in use (set PORT)"
# Cooldowns off: the load is one member asking /dates in one channel, answered in full.
(cd "$REPO" && exec env -u DISCORD_TOKEN DISCORD_PUBLIC_KEY="$PUBKEY" RUST_LOG=info \
  FACTDESK_COOLDOWN_SECONDS=0 FACTDESK_USER_RATE_PER_MINUTE=0 \
  FACTDESK_ACCESS_LOG="$ACCESS_LOG" taskset -c "$SERVER_CPU" \
  "$FACTDESK_BIN" serve --http "127.0.0.1:$PORT" --facts "$FACTDESK_FACTS" --no-digest) \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL=http://127.0.0.1:$PORT

post() { # headers-file body-file -> status code
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST -H @"$1" --data-binary @"$2" \
    "$URL/interactions" 2>/dev/null || true
}
deadline=$((SECONDS + 30))
until [[ $(post "$REQ/ping.headers" "$REQ/ping.body") == 200 ]]; do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/server.log" >&2; die "factdesk exited during start-up"; }
  ((SECONDS < deadline)) || die "factdesk did not answer a signed PING within 30 s"
  sleep 0.05 # poll interval while it starts, not a settle delay
done
[[ $(post "$REQ/dates.headers" "$REQ/dates.body") == 200 ]] || die "a signed /dates did not get 200"

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status"; }
scrapes() { ((SCRAPE == 0)) || curl -s -o /dev/null --max-time 2 "$URL/metrics" || true; }

# ---------------------------------------------------------------- load
START_KB=$(rss_kb)
log "load: wrk -t1 -c$CONNECTIONS -d${DURATION}s, /metrics $( ((SCRAPE)) && echo "scraped every ${SAMPLE}s" || echo "never scraped")"
BENCH_BODY=$REQ/dates.body BENCH_HEADERS=$REQ/dates.headers \
  timeout $((DURATION + 60)) taskset -c "$LOAD_CPU" \
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$BENCH_DIR/post.lua" "$URL/interactions" \
  >"$WORK/wrk.txt" 2>&1 &
LOAD_PID=$!

printf '%6s  %10s\n' "second" "VmRSS"
printf '%6d  %7.1f MB\n' 0 "$(awk -v k="$START_KB" 'BEGIN{print k / 1024}')"
started=$SECONDS
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep "$SAMPLE" & wait $! # the sampling period, not a readiness wait
  kill -0 "$LOAD_PID" 2>/dev/null || break
  scrapes
  printf '%6d  %7.1f MB\n' $((SECONDS - started)) "$(awk -v k="$(rss_kb)" 'BEGIN{print k / 1024}')"
done
wait "$LOAD_PID" || die "wrk failed: $(cat "$WORK/wrk.txt")"
LOAD_PID=""
END_KB=$(rss_kb)
printf '%6d  %7.1f MB  (end)\n' $((SECONDS - started)) "$(awk -v k="$END_KB" 'BEGIN{print k / 1024}')"

line=$(grep '^BENCH_RESULT ' "$WORK/wrk.txt" | tail -1)
total=$(sed -E 's/.* total=([0-9]+).*/\1/' <<<"$line")
non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
awk -v s="$START_KB" -v e="$END_KB" -v t="$total" -v n="$non2xx" -v d="$DURATION" 'BEGIN {
  printf "RSS %.1f MB -> %.1f MB (%+.1f MB) over %d s, %d requests (%d non-2xx), %.1f bytes per request\n",
    s / 1024, e / 1024, (e - s) / 1024, d, t, n, (t > 0 ? (e - s) * 1024 / t : 0)
}'
