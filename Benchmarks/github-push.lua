-- wrk script: a signed GitHub push with a fresh X-GitHub-Delivery per request (so none is a duplicate).
-- BODY_FILE and SIGNATURE come from the environment (Benchmarks/run.sh sets them).
local body_file = os.getenv("BODY_FILE")
local signature = os.getenv("SIGNATURE")
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

local sent = 0
function init(args)
  run_id = os.getenv("RUN_ID") or tostring(os.time())
end

function request()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-Hub-Signature-256"] = signature,
    ["X-GitHub-Delivery"] = run_id .. "-" .. tostring(tid) .. "-" .. tostring(sent),
  }
  return wrk.format("POST", "/hooks/github", headers, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d" ..
    " (connect=%d read=%d write=%d status=%d timeout=%d)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout, e.connect, e.read, e.write, e.status, e.timeout))
end
