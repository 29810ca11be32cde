-- Redis TIME in milliseconds: the one clock every process shares. Due times
-- round up and "now" rounds down, so nothing is ever handed out early.
local function nowMs()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function dueMs(delay)
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.ceil(tonumber(t[2]) / 1000) + delay
end

-- One Redis TIME in two forms: whole ms (rounded down, as nowMs) to compare
-- with due times, and µs since the epoch as text (a Lua number in a reply is
-- cut to an integer), so a caller can set its clock against Redis without the
-- ms truncation's error.
local function nowMsAndMicros()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t[1] .. string.format("%06d", tonumber(t[2]))
end
