--[[
  Moves due jobs of one shard to their topics' ready lists: delayed jobs whose
  delay has passed and reserved jobs whose ttr ran out. Several processes may
  run it at once; each id moves exactly once because it leaves the due set in
  the same call.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] due zset of the shard

    ARGV[1] shard key prefix, e.g. "{dq:0}:" (for the ready lists)
    ARGV[2] most jobs to move in one call
    ARGV[3] notify channel
    ARGV[4] origin

  Output:
    {now ms, jobs moved, due ms of the next entry or -1, 1 if more are due now,
     topic, count, topic, count, ...}  (the topics that got jobs)
]]
local rcall = redis.call
local jobsKey, dueKey = KEYS[1], KEYS[2]
local base, limit, channel, origin = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

--- @include "includes/nowMs"
--- @include "includes/announceReady"
--- @include "includes/topicCounts"
--- @include "includes/readJob"
--- @include "includes/packJob"

local now = nowMs()
-- The scores come along: a delayed job's due time is stored nowhere else.
local entries = rcall("ZRANGEBYSCORE", dueKey, "-inf", now, "WITHSCORES", "LIMIT", 0, limit)
local ids = {}
local moved = 0
local ready = newTopicCounts()
for i = 1, #entries, 2 do
  local id = entries[i]
  ids[#ids + 1] = id
  local value = rcall("HGET", jobsKey, id)
  if value then
    local job = readJob(value, tonumber(entries[i + 1]))
    if job.state == DELAYED or job.state == RESERVED then
      job.state, job.seq = READY, job.seq + 1
      rcall("HSET", jobsKey, id, repackJob(job, value))
      rcall("RPUSH", base .. "r:" .. job.topic, seqText(job.seq) .. ":" .. id)
      moved = moved + 1
      countTopic(ready, job.topic)
    end
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
