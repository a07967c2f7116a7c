-- wrk script for bench/run.sh: POSTs an Anthropic Messages request and prints
-- one machine-readable line ("BENCH {...}") with the counts and latency
-- percentiles (microseconds). The request body and the header lines
-- ("name: value", one a line) come from the files named by BENCH_BODY_FILE and
-- BENCH_HEADERS_FILE, the same files bench_client reads.
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = slurp(assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE not set"))
for line in slurp(assert(os.getenv("BENCH_HEADERS_FILE"), "BENCH_HEADERS_FILE not set")):gmatch("[^\r\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
