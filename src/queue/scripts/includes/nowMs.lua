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
