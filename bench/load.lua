-- wrk driver for bench/load.py: one connection per thread, so each response belongs to the
-- request just sent. Each thread reads its own plan file: check-in POSTs (one per participant,
-- each with its own session cookie and CSRF token) and facilitator dashboard GETs. Every
-- `every`-th request is a check-in while participants remain; the rest are dashboards.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function split(line)
  local parts = {}
  for part in string.gmatch(line, "([^\t]+)") do table.insert(parts, part) end
  return parts
end

function init(args)
  local plan_dir, every_arg = args[1], args[2]
  every = tonumber(every_arg)
  checkins, dashboards = {}, {}
  for line in io.lines(plan_dir .. "/thread-" .. id .. ".tsv") do
    local p = split(line)
    if p[1] == "POST" then
      table.insert(checkins, wrk.format("POST", p[2], {
        ["Cookie"] = p[3], ["Content-Type"] = "application/x-www-form-urlencoded"}, p[4]))
    else
      table.insert(dashboards, wrk.format("GET", p[2], {["Cookie"] = p[3]}))
    end
  end
  sent, next_checkin, next_dashboard = 0, 1, 1
  checkin_302, checkin_other, dashboard_200, dashboard_other = 0, 0, 0, 0
  last_kind = nil
end

function request()
  sent = sent + 1
  if sent % every == 0 and next_checkin <= #checkins then
    last_kind = "checkin"
    next_checkin = next_checkin + 1
    return checkins[next_checkin - 1]
  end
  last_kind = "dashboard"
  local r = dashboards[next_dashboard]
  next_dashboard = next_dashboard % #dashboards + 1
  return r
end

function response(status, headers, body)
  if last_kind == "checkin" then
    if status == 302 then checkin_302 = checkin_302 + 1 else checkin_other = checkin_other + 1 end
  else
    if status == 200 then dashboard_200 = dashboard_200 + 1 else dashboard_other = dashboard_other + 1 end
  end
end

function done(summary, latency, requests)
  local c302, cother, d200, dother = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c302 = c302 + t:get("checkin_302")
    cother = cother + t:get("checkin_other")
    d200 = d200 + t:get("dashboard_200")
    dother = dother + t:get("dashboard_other")
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
    .. '"errors": %d, "checkin_302": %d, "checkin_other": %d, "dashboard_200": %d, "dashboard_other": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors,
    c302, cother, d200, dother))
end
