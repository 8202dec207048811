#!/usr/bin/env bash
# Side-by-side benchmark of Discord HTTP-interaction endpoints:
#   node      express + discord-interactions (bench/peers/node)
#   python    starlette + PyNaCl under uvicorn, 1 worker (bench/peers/python)
#   factdesk  target/release/factdesk serve --http ...
#
# Each server is pinned to one CPU, the load generator (wrk) to another; rounds
# are interleaved (node, python, factdesk, node, ...) and medians are reported.
# Only 2xx responses count as successes. See bench/README.md.
#
# Knobs (environment):
#   DURATION=10s      measured wrk run per server per round (Ns or Nm)
#   WARMUP=2s         unrecorded wrk run before each measured run (0 = none)
#   ROUNDS=3          interleaved rounds
#   CONNECTIONS=64    wrk connections (wrk runs with -t1)
#   SERVERS="node python factdesk"   which servers, in round order
#   SERVER_CPU=0 LOAD_CPU=1          taskset CPUs
#   PORT_BASE=18080   node=PORT_BASE+1, python=+2, factdesk=+3
#   START_TIMEOUT=30  seconds a server gets to answer a signed PING
#   FACTDESK_BUILD=1  run `cargo build --release` first (0 = use the binary as is)
#   FACTDESK_BIN=target/release/factdesk   FACTDESK_FACTS=facts.toml
#   FACTDESK_EXTRA_ARGS=""                 appended to `factdesk serve ...`
#   FACTDESK_VERIFY_CMD="cargo run --release --quiet --example verify_ceiling -- 3"; run pinned
#                           to SERVER_CPU, its last output line goes in the report
#   OPENSSL_SECONDS=3       openssl speed -seconds for the Ed25519 ceiling (0 = skip)
#   FACTDESK_BENCH_CACHE=~/.cache/factdesk-bench   npm/venv/run logs (outside the repo)
#   RESULTS=bench/results.md
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
SERVERS=${SERVERS:-node python factdesk}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PORT_BASE=${PORT_BASE:-18080}
START_TIMEOUT=${START_TIMEOUT:-30}
FACTDESK_BUILD=${FACTDESK_BUILD:-1}
FACTDESK_BIN=${FACTDESK_BIN:-$REPO/target/release/factdesk}
FACTDESK_FACTS=${FACTDESK_FACTS:-$REPO/facts.toml}
FACTDESK_EXTRA_ARGS=${FACTDESK_EXTRA_ARGS:-}
FACTDESK_VERIFY_CMD=${FACTDESK_VERIFY_CMD-cargo run --release --quiet --example verify_ceiling -- 3}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}
CACHE=${FACTDESK_BENCH_CACHE:-$HOME/.cache/factdesk-bench}
RESULTS=${RESULTS:-$BENCH_DIR/results.md}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- arguments
to_seconds() { # 10s | 2m | 10  -> seconds; anything else is an error
  local v=$1
  if [[ $v =~ ^([0-9]+)s?$ ]]; then echo "${BASH_REMATCH[1]}"
  elif [[ $v =~ ^([0-9]+)m$ ]]; then echo $((BASH_REMATCH[1] * 60))
  else die "bad duration '$v' (use Ns or Nm)"; fi
}
DUR_S=$(to_seconds "$DURATION")
WARM_S=$(to_seconds "$WARMUP")
((DUR_S >= 1)) || die "DURATION must be at least 1s"
# All requests of one server's run carry the timestamp signed just before it;
# factdesk rejects timestamps older than 5 minutes, so keep a run well under that.
((DUR_S + WARM_S <= 240)) || die "DURATION + WARMUP must be <= 240s (signatures are 5-minute fresh)"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] && ((ROUNDS <= 50)) || die "ROUNDS must be 1..50"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
for s in $SERVERS; do
  case $s in node | python | factdesk) ;; *) die "unknown server '$s' in SERVERS" ;; esac
done

RUN_ID=$(date +%Y%m%d-%H%M%S)
WORK=$CACHE/runs/$RUN_ID
REQ=$WORK/req
mkdir -p "$WORK" "$REQ"
RAW=$WORK/raw.tsv
log "run $RUN_ID: logs in $WORK"

# ---------------------------------------------------------------- cleanup
declare -A SERVER_PID=()
CHILD_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PID[@]}" "${CHILD_PIDS[@]}"; do
    [[ -n $pid ]] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${SERVER_PID[@]}" "${CHILD_PIDS[@]}"; do
    [[ -n $pid ]] || continue
    local i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- installs
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
APT_UPDATED=0
apt_install() {
  if ((APT_UPDATED == 0)); then
    as_root timeout 300 apt-get update -qq || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root timeout 600 apt-get install -y -qq "$@" >&2
}
need() { # need CMD [debian-package]
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing ${2:-$1}"
  apt_install "${2:-$1}" || die "could not install ${2:-$1}"
  command -v "$1" >/dev/null 2>&1 || die "$1 still missing after installing ${2:-$1}"
}
need wrk
need taskset util-linux
need curl
need python3
nproc_all=$(nproc --all)
((SERVER_CPU < nproc_all && LOAD_CPU < nproc_all)) || die "SERVER_CPU/LOAD_CPU must be < $nproc_all"
[[ $SERVER_CPU != "$LOAD_CPU" ]] || log "warning: server and load generator share CPU $SERVER_CPU"

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# Python venv (also provides PyNaCl for sign.py).
VENV=$CACHE/venv
PY_REQ=$BENCH_DIR/peers/python/requirements.txt
if [[ ! -x $VENV/bin/python ]]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; } || die "cannot create venv"
fi
if [[ "$(cat "$VENV/.req-hash" 2>/dev/null)" != "$(hash_of "$PY_REQ")" ]]; then
  log "pip install -r peers/python/requirements.txt"
  timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check -r "$PY_REQ" >&2 || die "pip install failed"
  hash_of "$PY_REQ" >"$VENV/.req-hash"
fi
PY=$VENV/bin/python

# Node peer: copied to the cache and installed there, never into the repo.
NODE_DIR=$CACHE/node
prepare_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm || return 1
  mkdir -p "$NODE_DIR"
  cp "$BENCH_DIR/peers/node/package.json" "$BENCH_DIR/peers/node/server.js" "$NODE_DIR/"
  local src=$BENCH_DIR/peers/node
  local want; want=$(hash_of "$src/package.json" "$src/package-lock.json")
  if [[ ! -d $NODE_DIR/node_modules || "$(cat "$NODE_DIR/.pkg-hash" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$NODE_DIR/node_modules"
    if [[ -f $src/package-lock.json ]]; then
      cp "$src/package-lock.json" "$NODE_DIR/"
      log "npm ci (in $NODE_DIR)"
      (cd "$NODE_DIR" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
    else
      rm -f "$NODE_DIR/package-lock.json"
      log "npm install (in $NODE_DIR)"
      (cd "$NODE_DIR" && timeout 600 npm install --no-audit --no-fund --loglevel=error >&2) || return 1
    fi
    echo "$want" >"$NODE_DIR/.pkg-hash"
  fi
}

# factdesk: build and check that the binary speaks `serve --http`.
prepare_factdesk() {
  if [[ $FACTDESK_BUILD != 0 ]]; then
    command -v cargo >/dev/null || { SKIP_REASON="cargo not found"; return 1; }
    log "cargo build --release (in $REPO)"
    if ! (cd "$REPO" && timeout 3600 cargo build --release >"$WORK/cargo-build.log" 2>&1); then
      SKIP_REASON="cargo build --release failed (see $WORK/cargo-build.log)"
      return 1
    fi
  fi
  [[ -x $FACTDESK_BIN ]] || { SKIP_REASON="no binary at $FACTDESK_BIN"; return 1; }
  local help
  help=$(timeout 20 "$FACTDESK_BIN" serve --help 2>&1) || true
  if ! grep -q -- '--http' <<<"$help" || ! grep -q -- '--facts' <<<"$help"; then
    SKIP_REASON="$FACTDESK_BIN does not support 'serve --http ADDR --facts FILE' yet"
    return 1
  fi
  [[ -f $FACTDESK_FACTS ]] || { SKIP_REASON="facts file $FACTDESK_FACTS not found (set FACTDESK_FACTS)"; return 1; }
}

ACTIVE=()
declare -A SKIPPED=()
for s in $SERVERS; do
  SKIP_REASON=""
  case $s in
    node) prepare_node || SKIP_REASON=${SKIP_REASON:-"node/npm setup failed"} ;;
    python) ;;
    factdesk) prepare_factdesk || true ;;
  esac
  if [[ -n $SKIP_REASON ]]; then
    log "SKIPPING $s: $SKIP_REASON"
    SKIPPED[$s]=$SKIP_REASON
  else
    ACTIVE+=("$s")
  fi
done
((${#ACTIVE[@]} > 0)) || die "no server left to benchmark"

# ---------------------------------------------------------------- machine state
read -r LOAD1 _ </proc/loadavg
if awk -v l="$LOAD1" 'BEGIN{exit !(l > 0.7)}'; then
  log "warning: 1-minute load average is $LOAD1; another job (a build?) will skew the numbers"
fi

# ---------------------------------------------------------------- ceilings
OPENSSL_LINE="(skipped)"
if [[ $OPENSSL_SECONDS != 0 ]]; then
  log "openssl speed -seconds $OPENSSL_SECONDS ed25519 (CPU $SERVER_CPU)"
  if timeout $((OPENSSL_SECONDS * 4 + 30)) taskset -c "$SERVER_CPU" openssl speed -seconds "$OPENSSL_SECONDS" ed25519 \
    >"$WORK/openssl-speed.log" 2>&1; then
    # "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  24000.0   8000.0" -> verify/s is the last field
    OPENSSL_LINE=$(grep -i 'Ed25519' "$WORK/openssl-speed.log" | grep -v -i 'Doing' | tail -1 |
      awk '{printf "%s sign/s, %s verify/s", $(NF-1), $NF}')
    [[ -n $OPENSSL_LINE ]] || OPENSSL_LINE="(could not parse; see $WORK/openssl-speed.log)"
  else
    OPENSSL_LINE="(openssl speed failed; see $WORK/openssl-speed.log)"
  fi
  log "openssl ed25519: $OPENSSL_LINE"
fi

VERIFY_LINE=""
if [[ -n $FACTDESK_VERIFY_CMD ]]; then
  log "factdesk verify microbenchmark: $FACTDESK_VERIFY_CMD (CPU $SERVER_CPU)"
  if (cd "$REPO" && timeout 900 taskset -c "$SERVER_CPU" bash -c "$FACTDESK_VERIFY_CMD" >"$WORK/verify-bench.log" 2>&1); then
    VERIFY_LINE=$(grep -v '^[[:space:]]*$' "$WORK/verify-bench.log" | tail -1)
  else
    VERIFY_LINE="(failed, exit $?; see $WORK/verify-bench.log)"
  fi
  log "factdesk verify: $VERIFY_LINE"
fi

# ---------------------------------------------------------------- servers
PUBKEY=$("$PY" "$BENCH_DIR/sign.py" --out "$REQ" --new-key)
log "public key: $PUBKEY"

port_of() {
  case $1 in node) echo $((PORT_BASE + 1)) ;; python) echo $((PORT_BASE + 2)) ;; factdesk) echo $((PORT_BASE + 3)) ;; esac
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() { # name port logfile; sets SERVER_PID[name]
  local name=$1 port=$2 logf=$3
  port_busy "$port" && die "port $port is already in use (set PORT_BASE)"
  case $name in
    node)
      (cd "$NODE_DIR" && exec env PORT="$port" HOST=127.0.0.1 DISCORD_PUBLIC_KEY="$PUBKEY" NODE_ENV=production \
        taskset -c "$SERVER_CPU" node server.js) >"$logf" 2>&1 &
      ;;
    python)
      (cd "$BENCH_DIR/peers/python" && exec env DISCORD_PUBLIC_KEY="$PUBKEY" \
        taskset -c "$SERVER_CPU" "$PY" -m uvicorn server:app --host 127.0.0.1 --port "$port" \
        --workers 1 --loop uvloop --http httptools --no-access-log --log-level warning) >"$logf" 2>&1 &
      ;;
    factdesk)
      # shellcheck disable=SC2086 # FACTDESK_EXTRA_ARGS is split on purpose
      # Cooldowns off: one member asks /dates in one channel over and over, and the peers
      # answer every request in full, so factdesk must too.
      (cd "$REPO" && exec env -u DISCORD_TOKEN DISCORD_PUBLIC_KEY="$PUBKEY" RUST_LOG="${FACTDESK_RUST_LOG:-warn}" \
        FACTDESK_COOLDOWN_SECONDS=0 FACTDESK_USER_RATE_PER_MINUTE=0 \
        taskset -c "$SERVER_CPU" "$FACTDESK_BIN" serve --http "127.0.0.1:$port" --facts "$FACTDESK_FACTS" --no-digest \
        $FACTDESK_EXTRA_ARGS) >"$logf" 2>&1 &
      ;;
  esac
  SERVER_PID[$name]=$!
}

http_post() { # url headers-file body-file -> prints status code
  curl -s -o "${4:-/dev/null}" -w '%{http_code}' --max-time 2 -X POST \
    -H @"$2" --data-binary @"$3" "$1" 2>/dev/null || true
}

wait_ready() { # name port logfile
  local name=$1 port=$2 logf=$3 pid=${SERVER_PID[$1]}
  local deadline=$((SECONDS + START_TIMEOUT)) code
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during startup; log tail:"; tail -n 20 "$logf" >&2
      return 1
    fi
    code=$(http_post "http://127.0.0.1:$port/interactions" "$REQ/ping.headers" "$REQ/ping.body")
    [[ $code == 200 ]] && return 0
    sleep 0.05 # poll interval while connecting, not a settle delay
  done
  log "$name did not answer a signed PING within ${START_TIMEOUT}s (last status: ${code:-none}); log tail:"
  tail -n 20 "$logf" >&2
  return 1
}

stop_server() {
  local name=$1 pid=${SERVER_PID[$1]:-} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "SERVER_PID[$name]"
}

check_replies() { # name port -> 0 if /dates is 200 type 4 and a tampered signature is 401
  local name=$1 port=$2 url="http://127.0.0.1:$2/interactions" code bad
  code=$(http_post "$url" "$REQ/dates.headers" "$REQ/dates.body" "$WORK/$name-dates-reply.json")
  bad=$(http_post "$url" "$REQ/dates-tampered.headers" "$REQ/dates.body")
  if [[ $code != 200 ]] || ! grep -q '"type":4' "$WORK/$name-dates-reply.json" ||
    ! grep -q '"allowed_mentions":{"parse":\[\]}' "$WORK/$name-dates-reply.json"; then
    log "$name: signed /dates got HTTP $code (want 200 with a type-4 reply and allowed_mentions parse []):"
    head -c 400 "$WORK/$name-dates-reply.json" >&2 2>/dev/null; echo >&2
    return 1
  fi
  if [[ $bad != 401 ]]; then
    log "$name: tampered signature got HTTP $bad (want 401)"
    return 1
  fi
  log "$name: signed /dates -> 200 type 4, tampered signature -> 401"
}

run_wrk() { # port duration_s outfile
  BENCH_BODY=$REQ/dates.body BENCH_HEADERS=$REQ/dates.headers \
    timeout $(($2 + 60)) taskset -c "$LOAD_CPU" \
    wrk -t1 -c"$CONNECTIONS" -d"${2}s" --latency -s "$BENCH_DIR/post.lua" \
    "http://127.0.0.1:$1/interactions" >"$3" 2>&1
}

printf 'round\tserver\trps_2xx\ttotal\tnon2xx\tp50_us\tp99_us\tvmhwm_kb\tsock_errors\tnote\n' >"$RAW"

cpu_ticks() { # pid -> the process's user + system CPU time so far, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

run_one() { # name round
  local name=$1 round=$2 port; port=$(port_of "$1")
  local logf=$WORK/$name-r$round.server.log out=$WORK/$name-r$round.wrk.txt
  "$PY" "$BENCH_DIR/sign.py" --out "$REQ" >/dev/null # fresh timestamp for this run
  log "round $round/$ROUNDS: $name on CPU $SERVER_CPU, port $port"
  start_server "$name" "$port" "$logf"
  if ! wait_ready "$name" "$port" "$logf"; then
    stop_server "$name"
    printf '%s\t%s\t\t\t\t\t\t\t\t%s\n' "$round" "$name" "no start" >>"$RAW"
    return 0
  fi
  if ! check_replies "$name" "$port"; then
    stop_server "$name"
    printf '%s\t%s\t\t\t\t\t\t\t\t%s\n' "$round" "$name" "bad replies" >>"$RAW"
    return 0
  fi
  if ((WARM_S > 0)); then
    run_wrk "$port" "$WARM_S" "$WORK/$name-r$round.warmup.txt" || log "$name: warm-up wrk failed"
  fi
  local cpu0; cpu0=$(cpu_ticks "${SERVER_PID[$name]}")
  if ! run_wrk "$port" "$DUR_S" "$out"; then
    log "$name: wrk failed; output:"; cat "$out" >&2
    stop_server "$name"
    printf '%s\t%s\t\t\t\t\t\t\t\t%s\n' "$round" "$name" "wrk failed" >>"$RAW"
    return 0
  fi
  local hwm cpu1
  hwm=$(awk '/^VmHWM:/{print $2}' "/proc/${SERVER_PID[$name]}/status" 2>/dev/null || true)
  cpu1=$(cpu_ticks "${SERVER_PID[$name]}")
  stop_server "$name"
  local line; line=$(grep '^BENCH_RESULT ' "$out" | tail -1)
  [[ -n $line ]] || { log "$name: no BENCH_RESULT line in $out"; return 0; }
  local total non2xx dur p50 p99 econ eread ewrite etime rps note=""
  total=$(sed -E 's/.* total=([0-9]+).*/\1/' <<<"$line")
  non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
  dur=$(sed -E 's/.* duration_us=([0-9]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
  econ=$(sed -E 's/.* err_connect=([0-9]+).*/\1/' <<<"$line")
  eread=$(sed -E 's/.* err_read=([0-9]+).*/\1/' <<<"$line")
  ewrite=$(sed -E 's/.* err_write=([0-9]+).*/\1/' <<<"$line")
  etime=$(sed -E 's/.* err_timeout=([0-9]+).*/\1/' <<<"$line")
  # Only 2xx count: (total - non2xx) / measured duration.
  rps=$(awk -v t="$total" -v n="$non2xx" -v d="$dur" 'BEGIN{ printf "%.1f", (d > 0 ? (t - n) / (d / 1e6) : 0) }')
  # Cross-check against wrk's own summary (which only counts status > 399).
  local wrk_bad; wrk_bad=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$out")
  if ((non2xx > 0)); then
    note="first non-2xx: $(sed -E 's/.* first_non2xx=([^ ]+).*/\1/' <<<"$line"); wrk non-2xx/3xx: ${wrk_bad:-0}"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$total" "$non2xx" "$p50" "$p99" \
    "${hwm:-}" "$((econ + eread + ewrite + etime))" "$note" >>"$RAW"
  # The server's own CPU time per request: steadier than req/s on a machine that is busy too.
  local cpu_us; cpu_us=$(awk -v c="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v t="$total" \
    'BEGIN{ printf "%.1f", (t > 0 ? c / hz * 1e6 / t : 0) }')
  log "$name round $round: $rps 2xx req/s, p50 ${p50}us, p99 ${p99}us, non-2xx $non2xx, VmHWM ${hwm:-?} kB, server CPU ${cpu_us} us/request"
}

for ((r = 1; r <= ROUNDS; r++)); do
  for s in "${ACTIVE[@]}"; do
    run_one "$s" "$r"
  done
done

# ---------------------------------------------------------------- report
versions() {
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc --all) CPUs), Linux $(uname -r)"
  echo "- load average at start: $LOAD1"
  for s in "${ACTIVE[@]}"; do
    case $s in
      node)
        echo "- node $(node --version), express $(node -p "require('$NODE_DIR/node_modules/express/package.json').version"), discord-interactions $(node -p "require('$NODE_DIR/node_modules/discord-interactions/package.json').version")"
        ;;
      python)
        echo "- $("$PY" --version), $("$PY" -c 'import importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("uvicorn","starlette","PyNaCl","uvloop","httptools")))')"
        ;;
      factdesk)
        echo "- factdesk: $("$FACTDESK_BIN" --version 2>/dev/null || echo "$FACTDESK_BIN") ($(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
        ;;
    esac
  done
  echo "- $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(openssl version)"
}

REPORT=$WORK/results.md
"$PY" - "$RAW" >"$WORK/tables.md" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
order = []
for r in rows:
    if r["server"] not in order:
        order.append(r["server"])

def med(vals):
    vals = [float(v) for v in vals if v not in ("", None)]
    return statistics.median(vals) if vals else None

def ms(us):
    return "–" if us is None else f"{us / 1000:.2f} ms"

print("| server | 2xx req/s | p50 | p99 | peak RSS | non-2xx | socket errors | rounds ok |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for s in order:
    rs = [r for r in rows if r["server"] == s]
    ok = [r for r in rs if r["rps_2xx"] != ""]
    rps = med(r["rps_2xx"] for r in ok)
    hwm = med(r["vmhwm_kb"] for r in ok)
    non = sum(int(r["non2xx"] or 0) for r in ok)
    err = sum(int(r["sock_errors"] or 0) for r in ok)
    print(f"| {s} | {'–' if rps is None else f'{rps:,.0f}'} | {ms(med(r['p50_us'] for r in ok))} | "
          f"{ms(med(r['p99_us'] for r in ok))} | {'–' if hwm is None else f'{hwm / 1024:.1f} MiB'} | "
          f"{non} | {err} | {len(ok)}/{len(rs)} |")
print()
print("<details><summary>Per-round numbers</summary>")
print()
print("| round | server | 2xx req/s | requests | non-2xx | p50 | p99 | VmHWM | socket errors | note |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    p50 = ms(float(r["p50_us"])) if r["p50_us"] else "–"
    p99 = ms(float(r["p99_us"])) if r["p99_us"] else "–"
    hwm = f"{int(r['vmhwm_kb']) / 1024:.1f} MiB" if r["vmhwm_kb"] else "–"
    print(f"| {r['round']} | {r['server']} | {r['rps_2xx'] or '–'} | {r['total'] or '–'} | {r['non2xx'] or '–'} | "
          f"{p50} | {p99} | {hwm} | {r['sock_errors'] or '–'} | {r['note']} |")
print()
print("</details>")
PYEOF

{
  echo "# factdesk interaction-endpoint benchmark"
  echo
  echo "Run $RUN_ID: ${ROUNDS} interleaved round(s) of (${ACTIVE[*]}), each a ${WARMUP} warm-up then a ${DURATION} measured"
  echo "\`wrk -t1 -c${CONNECTIONS} --latency\` run of a signed \`/dates\` APPLICATION_COMMAND; server on CPU ${SERVER_CPU}, wrk on CPU ${LOAD_CPU}."
  echo "Medians over rounds; req/s counts 2xx responses only; peak RSS is the server's VmHWM after its run."
  echo
  cat "$WORK/tables.md"
  echo
  if ((${#SKIPPED[@]} > 0)); then
    echo "Skipped:"
    for s in "${!SKIPPED[@]}"; do echo "- **$s**: ${SKIPPED[$s]}"; done
    echo
  fi
  echo "Ed25519 verify ceiling (one core, CPU $SERVER_CPU):"
  echo
  echo "- \`openssl speed -seconds $OPENSSL_SECONDS ed25519\`: $OPENSSL_LINE"
  if [[ -n $FACTDESK_VERIFY_CMD ]]; then
    echo "- \`$FACTDESK_VERIFY_CMD\`: $VERIFY_LINE"
  else
    echo "- factdesk verify microbenchmark: not run (set FACTDESK_VERIFY_CMD)"
  fi
  echo
  echo "Environment:"
  echo
  versions
} >"$REPORT"

cp "$REPORT" "$RESULTS"
cat "$REPORT"
log "wrote $RESULTS (raw data: $RAW)"
