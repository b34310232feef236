-- POST /api/tickets for wrk 4.x (LuaJIT), as `npm run bench` (section kiosk-wrk) runs it:
--   wrk -t2 -c32 -d10s -s bench/wrk/take-ticket.lua http://127.0.0.1:PORT -- KEY FIRST_RUT BRANCHES
-- KEY: the kiosk bearer key. FIRST_RUT: first RUT body of the run (8 digits); each thread takes
-- its own block of 1,000,000 bodies from there, so no two requests of a run share a RUT.
-- BRANCHES: branch names joined by '|'. Requests go round the four queues, then the branches;
-- every other round carries a phone (as bench/support/workload.ts's ticketRequest).
-- The last line of output, `KIOSK_WRK {json}`, is what the bench reads.

local threads = {}
local next_id = 0

local key, first_rut, branches

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local queues = { "CAJA", "PERSONAL_BANKER", "EMPRESAS", "GERENCIA" }
local n = 0
local base = 0
local headers = {}

-- Module-11 check digit of a RUT body (SPEC §4): weights 2..7 from the right; 11 → 0, 10 → K.
local function check_digit(body)
  local sum, weight = 0, 2
  while body > 0 do
    sum = sum + (body % 10) * weight
    body = math.floor(body / 10)
    weight = weight == 7 and 2 or weight + 1
  end
  local dv = 11 - (sum % 11)
  if dv == 11 then return "0" end
  if dv == 10 then return "K" end
  return tostring(dv)
end

local function split(text, sep)
  local out = {}
  for part in string.gmatch(text, "([^" .. sep .. "]+)") do table.insert(out, part) end
  return out
end

function init(args)
  key = args[1]
  first_rut = tonumber(args[2])
  branches = split(args[3], "|")
  if not key or not first_rut or #branches == 0 then
    error("usage: wrk ... -s take-ticket.lua URL -- KIOSK_KEY FIRST_RUT 'Branch A|Branch B'")
  end
  base = first_rut + id * 1000000
  headers["Authorization"] = "Bearer " .. key
  headers["Content-Type"] = "application/json"
  headers["User-Agent"] = "ticketero-bench"
  created, others, statuses = 0, 0, {}
end

function request()
  local queue = queues[(n % 4) + 1]
  local round = math.floor(n / 4)
  local branch = branches[(round % #branches) + 1]
  local body_rut = base + n
  local body = '{"nationalId":"' .. body_rut .. "-" .. check_digit(body_rut) ..
    '","queueType":"' .. queue .. '","branchOffice":"' .. branch .. '"'
  if math.floor(round / #branches) % 2 == 0 then
    body = body .. string.format(',"telefono":"+569%08d"', n % 100000000)
  end
  body = body .. "}"
  n = n + 1
  return wrk.format("POST", "/api/tickets", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    others = others + 1
    local s = tostring(status)
    statuses[s] = (statuses[s] or 0) + 1
    if not sample and body then sample = s .. " " .. string.sub(body, 1, 200) end
  end
end

local function json_escape(text)
  return (string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
  local created_all, others_all, by_status, samples = 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    created_all = created_all + (thread:get("created") or 0)
    others_all = others_all + (thread:get("others") or 0)
    local s = thread:get("statuses")
    if s then for code, count in pairs(s) do by_status[code] = (by_status[code] or 0) + count end end
    local one = thread:get("sample")
    if one then table.insert(samples, '"' .. json_escape(one) .. '"') end
  end
  local codes = {}
  for code, count in pairs(by_status) do table.insert(codes, string.format('"%s":%d', code, count)) end
  local e = summary.errors
  io.write(string.format(
    'KIOSK_WRK {"seconds":%.3f,"requests":%d,"created":%d,"others":%d,"byStatus":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f,"samples":[%s]}\n',
    summary.duration / 1e6, summary.requests, created_all, others_all, table.concat(codes, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(samples, ",")))
end
