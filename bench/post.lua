-- wrk script: POST one pre-signed Discord interaction over and over and count
-- responses that are not 2xx (wrk's own "Non-2xx or 3xx responses" counts only
-- status > 399, so 3xx would pass as success there; here only 2xx is success).
--
-- Env:
--   BENCH_BODY     file with the exact signed body        (required)
--   BENCH_HEADERS  file with "Name: value" header lines   (required)
--
-- done() prints one machine-readable line for run.sh:
--   BENCH_RESULT total=N ok2xx=N non2xx=N duration_us=N p50_us=N p99_us=N ...

local function slurp(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local data = f:read("*a")
  f:close()
  return data
end

local body_path = os.getenv("BENCH_BODY")
local headers_path = os.getenv("BENCH_HEADERS")
assert(body_path and headers_path, "BENCH_BODY and BENCH_HEADERS must be set")

wrk.method = "POST"
wrk.body = slurp(body_path)
wrk.headers = wrk.headers or {}
for line in slurp(headers_path):gmatch("[^\r\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

-- Each wrk thread has its own Lua state; setup() runs in the main state and
-- keeps the thread handles so done() can read the per-thread counters.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok2xx = 0
  non2xx = 0
  first_bad = ""
  -- Format once; every request is identical.
  req = wrk.format()
end

function request()
  return req
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    if non2xx == 0 then first_bad = tostring(status) end
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local ok, bad, first = 0, 0, ""
  for _, t in ipairs(threads) do
    ok = ok + (t:get("ok2xx") or 0)
    bad = bad + (t:get("non2xx") or 0)
    local fb = t:get("first_bad")
    if first == "" and fb and fb ~= "" then first = fb end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT total=%d ok2xx=%d non2xx=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d first_non2xx=%s\n",
    summary.requests, ok, bad, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status,
    first == "" and "-" or first))
end
