--[[
  Moves due jobs of one shard to their topics' ready lists: delayed jobs whose
  delay has passed and reserved jobs whose ttr ran out. Several processes may
  run it at once; each id moves exactly once because it leaves the due set in
  the same call.

  Input:
    KEYS[1] due zset of the shard

    ARGV[1] shard key prefix, e.g. "{dq:0}:"
    ARGV[2] most jobs to move in one call
    ARGV[3] notify channel
    ARGV[4] origin

  Output:
    {now ms, jobs moved, due ms of the next entry or -1, 1 if more are due now,
     topic, count, topic, count, ...}  (the topics that got jobs)
]]
local rcall = redis.call
local dueKey = KEYS[1]
local base, limit, channel, origin = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

--- @include "includes/states"
--- @include "includes/nowMs"
--- @include "includes/announceReady"
--- @include "includes/topicCounts"

local now = nowMs()
local ids = rcall("ZRANGEBYSCORE", dueKey, "-inf", now, "LIMIT", 0, limit)
local moved = 0
local ready = newTopicCounts()
for _, id in ipairs(ids) do
  local jobKey = base .. "j:" .. id
  local job = rcall("HMGET", jobKey, "s", "q", "t")
  if job[1] == DELAYED or job[1] == RESERVED then
    local seq = tonumber(job[2]) + 1
    rcall("HSET", jobKey, "s", READY, "q", seq)
    if job[1] == RESERVED then
      rcall("HDEL", jobKey, "x")
    end
    rcall("RPUSH", base .. "r:" .. job[3], seq .. ":" .. id)
    moved = moved + 1
    countTopic(ready, job[3])
  end
end
if #ids > 0 then
  rcall("ZREM", dueKey, unpack(ids))
end

local counts = flattenCounts(ready)
announceReady(channel, origin, counts)

local head = rcall("ZRANGE", dueKey, 0, 0, "WITHSCORES")
local reply = {now, moved, head[2] or "-1", #ids == limit and 1 or 0}
for _, item in ipairs(counts) do
  reply[#reply + 1] = item
end
return reply
