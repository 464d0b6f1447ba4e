-- wrk script for scripts/bench.sh: POSTs a JSON vote, score rotating 1..3, each request from
-- a distinct CF-Connecting-IP (anti-stuffing would otherwise discount repeats), and counts
-- the answers that are not 201. Usage: wrk ... -s bench/vote.lua URL -- TOKEN RUN
-- RUN (0..3) keeps the addresses of separate runs (warm-up, measured rounds) apart.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = args[1] or "bench"
  run = tonumber(args[2] or "0") % 4
  counter = 0
  created = 0
  other = 0
end

function request()
  counter = counter + 1
  -- 10.a.b.c: a carries the run, the thread (16 at most) and the high bits of the counter,
  -- so addresses repeat only after 262,144 requests of one thread.
  local a = run * 64 + (tid % 16) * 4 + math.floor(counter / 65536) % 4
  local ip = string.format("10.%d.%d.%d", a, math.floor(counter / 256) % 256, counter % 256)
  local body = string.format('{"token":"%s","score":%d}', token, counter % 3 + 1)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["CF-Connecting-IP"] = ip }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    if other <= 3 then
      io.stderr:write(string.format("non-201 answer %d: %s\n", status, string.sub(body or "", 1, 200)))
    end
  end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("BENCH created=%d non201=%d\n", c, o))
end
