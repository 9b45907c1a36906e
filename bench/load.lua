-- wrk driver for bench/load.py: one connection per thread, so each response belongs to the
-- request just sent. Each thread reads its own plan file: check-in POSTs (one per participant,
-- each with its own session cookie and CSRF token) and facilitator dashboard GETs. Every
-- `every`-th request is a check-in while participants remain; the rest are dashboards.
--
-- A check-in counts as saved only when it is answered 302 to the progress or crisis page (a
-- redirect to the sign-in page is a refusal). done() prints one JSON line: wrk's figures, the
-- counts per kind, and the participant ids whose check-in was sent, saved or refused, so
-- bench/load.py can match them against the rows in the database one by one.
local threads = {}
local next_id = 0
local user_agent = "wham-load"

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
  local plan_dir = args[1]
  every = tonumber(args[2])
  checkins, checkin_user, dashboards = {}, {}, {}
  for line in io.lines(plan_dir .. "/thread-" .. id .. ".tsv") do
    local p = split(line)
    if p[1] == "POST" then
      table.insert(checkins, wrk.format("POST", p[2], {
        ["Cookie"] = p[3], ["User-Agent"] = user_agent,
        ["Content-Type"] = "application/x-www-form-urlencoded"}, p[4]))
      table.insert(checkin_user, p[5])
    elseif p[1] == "GET" then
      table.insert(dashboards, wrk.format("GET", p[2], {["Cookie"] = p[3], ["User-Agent"] = user_agent}))
    end
  end
  sent_count, next_checkin, next_dashboard = 0, 1, 1
  dashboard_200, dashboard_other = 0, 0
  sent, saved, refused, refusals = {}, {}, {}, {}
  last_kind, last_user = nil, nil
end

function request()
  sent_count = sent_count + 1
  if sent_count % every == 0 and next_checkin <= #checkins then
    last_kind, last_user = "checkin", checkin_user[next_checkin]
    table.insert(sent, last_user)
    next_checkin = next_checkin + 1
    return checkins[next_checkin - 1]
  end
  last_kind = "dashboard"
  local r = dashboards[next_dashboard]
  next_dashboard = next_dashboard % #dashboards + 1
  return r
end

local function answer_of(status, headers)
  local location = headers["Location"] or headers["location"] or ""
  return location == "" and tostring(status) or status .. " to " .. location
end

function response(status, headers, body)
  if last_kind == "checkin" then
    local location = headers["Location"] or headers["location"] or ""
    if status == 302 and (location:find("/progress", 1, true) or location:find("/crisis", 1, true)) then
      table.insert(saved, last_user)
    else
      table.insert(refused, last_user)
      if #refusals < 5 then table.insert(refusals, answer_of(status, headers)) end
    end
  else
    if status == 200 then
      dashboard_200 = dashboard_200 + 1
    else
      dashboard_other = dashboard_other + 1
      if #refusals < 5 then table.insert(refusals, "dashboard " .. answer_of(status, headers)) end
    end
  end
  last_kind = nil
end

local function ids(list)
  return "[" .. table.concat(list, ", ") .. "]"
end

local function strings(list)
  local quoted = {}
  for _, s in ipairs(list) do table.insert(quoted, string.format("%q", s)) end
  return "[" .. table.concat(quoted, ", ") .. "]"
end

function done(summary, latency, requests)
  local d200, dother = 0, 0
  local all_sent, all_saved, all_refused, all_refusals = {}, {}, {}, {}
  for _, t in ipairs(threads) do
    d200 = d200 + t:get("dashboard_200")
    dother = dother + t:get("dashboard_other")
    for _, v in ipairs(t:get("sent")) do table.insert(all_sent, v) end
    for _, v in ipairs(t:get("saved")) do table.insert(all_saved, v) end
    for _, v in ipairs(t:get("refused")) do table.insert(all_refused, v) end
    for _, v in ipairs(t:get("refusals")) do table.insert(all_refusals, v) end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, '
    .. '"max_ms": %.3f, "errors": %d, "dashboard_200": %d, "dashboard_other": %d, '
    .. '"sent": %s, "saved": %s, "refused": %s, "refusals": %s}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors,
    d200, dother, ids(all_sent), ids(all_saved), ids(all_refused), strings(all_refusals)))
end
