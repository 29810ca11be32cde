--[[
  Hands a reserved job back before its ttr runs out: ready again at once (at
  the head of its list when the reservation is undone, as for a cancelled
  long-poll; at the tail otherwise) or delayed by ARGV[3].

  Input:
    KEYS[1] job hash
    KEYS[2] due zset of the shard

    ARGV[1] id
    ARGV[2] reservation sequence, or "" for any reservation
    ARGV[3] delay, ms
    ARGV[4] "1": undo the reservation (the attempt does not count)
    ARGV[5] shard key prefix, e.g. "{dq:0}:"
    ARGV[6] notify channel
    ARGV[7] origin
    ARGV[8] shard index

  Output:
    {1, topic, due ms}  released
    {0}   the job exists but is not reserved (under that sequence)
    {-1}  no such job
]]
local rcall = redis.call
local jobKey, dueKey = KEYS[1], KEYS[2]
local id, token, delay, undo = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == "1"
local base, channel, origin, shard = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

--- @include "includes/states"
--- @include "includes/nowMs"
--- @include "includes/announceDue"
--- @include "includes/announceReady"

local job = rcall("HMGET", jobKey, "s", "q", "a", "t")
if not job[1] then
  return {-1}
end
if job[1] ~= RESERVED or (token ~= "" and token ~= job[2]) then
  return {0}
end
local seq = tonumber(job[2]) + 1
local attempts = tonumber(job[3])
if undo and attempts > 0 then
  attempts = attempts - 1
end
local due = dueMs(delay)
rcall("HDEL", jobKey, "x")
if delay == 0 then
  rcall("HSET", jobKey, "s", READY, "q", seq, "a", attempts, "d", due)
  rcall("ZREM", dueKey, id)
  local readyKey = base .. "r:" .. job[4]
  if undo then
    rcall("LPUSH", readyKey, seq .. ":" .. id)
  else
    rcall("RPUSH", readyKey, seq .. ":" .. id)
  end
  announceReady(channel, origin, {job[4], 1})
else
  rcall("HSET", jobKey, "s", DELAYED, "q", seq, "a", attempts, "d", due)
  rcall("ZADD", dueKey, due, id)
  announceDue(dueKey, id, due, channel, origin, shard)
end
return {1, job[4], due}
