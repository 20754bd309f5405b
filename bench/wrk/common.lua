-- Shared by every workload script. The per-target data file (written by bench/lib/harness.mjs)
-- holds the request bodies, headers and the ids W4 rotates over; BENCH_DATA names it.
--
-- Error counting: a response is an error when its status is not 200 or its body contains
-- "errors" (any GraphQL error counts). Each wrk thread counts in its own Lua state; done()
-- adds the threads' counters up (setup/thread:get) and prints one BENCH_RESULT JSON line.
local data_file = os.getenv("BENCH_DATA")
if not data_file then
  error("BENCH_DATA (the per-target Lua data file) is not set")
end
D = dofile(data_file)

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

errors = 0
first_error = ""

function response(status, headers, body)
  if status ~= 200 or (body and string.find(body, '"errors"', 1, true)) then
    errors = errors + 1
    if first_error == "" then
      first_error = tostring(status) .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

-- Prebuilt requests for the fixed workloads; W4 bodies are built per request.
function fixed(body)
  return wrk.format("POST", D.path, D.headers, body)
end

-- W4: the next action of the rotation (each thread starts at its own offset so two threads
-- do not write the same actions in step), AMBER/GREEN alternating request by request and pass
-- by pass (so every action flips between passes), always with a note.
local w4_n = 0
function w4_request()
  local ids = D.w4_ids
  local count = #ids
  local k = w4_n + (tid or 0) * math.floor(count / 2)
  w4_n = w4_n + 1
  local id = ids[(k % count) + 1]
  local status = ((k + math.floor(k / count)) % 2 == 0) and "AMBER" or "GREEN"
  local p = D.w4_parts
  return wrk.format("POST", D.path, D.headers, p[1] .. id .. p[2] .. status .. p[3])
end

local function json_string(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local errs, sample = 0, ""
  for _, t in ipairs(threads) do
    errs = errs + (t:get("errors") or 0)
    local fe = t:get("first_error") or ""
    if sample == "" and fe ~= "" then sample = fe end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"errors":%d,"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non2xx":%d,"first_error":%s}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errs, e.connect, e.read, e.write, e.timeout, e.status, json_string(sample)))
end
