-- wrk script: a GitHub push of a new branch at a new commit (a random `ref` and `after`) with a fresh delivery
-- id per request, so that none is a duplicate and each moves a head of its own (the path that writes one;
-- concurrent pushes of one branch could not each start where the last one left it). Unsigned: the
-- repository is configured with insecure_no_signature (wrk cannot sign each body). BODY_FILE comes from the
-- environment.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local template = f:read("*a")
f:close()

local thread_counter = 0
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("tid", thread_counter)
end

local sent = 0
function init(args)
  run_id = os.getenv("RUN_ID") or tostring(os.time())
  math.randomseed(os.time() + tid * 7919)
end

local hex = "0123456789abcdef"
local function sha()
  local t = {}
  for i = 1, 40 do
    local n = math.random(1, 16)
    t[i] = hex:sub(n, n)
  end
  return table.concat(t)
end

function request()
  sent = sent + 1
  local commit = sha()
  local body = template:gsub('"after": "%x+"', '"after": "' .. commit .. '"', 1)
  body = body:gsub('"ref": "refs/heads/main"', '"ref": "refs/heads/b-' .. commit:sub(1, 12) .. '"', 1)
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = run_id .. "-" .. tostring(tid) .. "-" .. tostring(sent),
  }
  return wrk.format("POST", "/hooks/github", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout))
end
