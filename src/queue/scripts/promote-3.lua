--[[
  Moves due jobs of one shard to their topics' ready lists: delayed jobs whose
  delay has passed and reserved jobs whose ttr ran out. Several processes may
  run it at once; each id moves exactly once because it leaves the due set in
  the same call.

  Then it reserves, for the pops parked in the calling process, up to the
  count asked for each topic (ARGV[7..]), as reserve.lua would: those pops get
  their jobs from this call, with no reserve call of their own. Only jobs left
  ready are announced.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] due zset of the shard
    KEYS[3] bodies hash of the shard

    ARGV[1] shard key prefix, e.g. "{dq:0}:" (for the ready lists)
    ARGV[2] most jobs to move in one call
    ARGV[3] notify channel
    ARGV[4] origin
    ARGV[5] shard index
    ARGV[6] most stale ready entries to drop while reserving
    ARGV[7..] topic, count, topic, count, ...: jobs to reserve (may be none)

  Output:
    {now in µs since the epoch (text), jobs moved, due ms of the next entry or -1, 1 if more are due now,
     n, then n values: topic, count, ... (jobs left ready per topic),
     jobs reserved, then per job the ten values reserve.lua gives (topic index:
     the topic's position among the pairs of ARGV[7..], 0-based)}
]]
local rcall = redis.call
local jobsKey, dueKey, bodiesKey = KEYS[1], KEYS[2], KEYS[3]
local base, limit, channel, origin = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local shard, staleLimit = ARGV[5], tonumber(ARGV[6])

--- @include "includes/nowMs"
--- @include "includes/announceReady"
--- @include "includes/topicCounts"
--- @include "includes/readJob"
--- @include "includes/packJob"
--- @include "includes/announceDue"
--- @include "includes/reserveReady"

local now, nowMicros = nowMsAndMicros()
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

local reserved = {}
local run = {stale = 0}
local taken = 0
for i = 7, #ARGV - 1, 2 do
  local topic = ARGV[i]
  local n, stopped = reserveReady(jobsKey, bodiesKey, dueKey, base .. "r:" .. topic, (i - 7) / 2, tonumber(ARGV[i + 1]), staleLimit, reserved, run)
  taken = taken + n
  -- What it took for the parked pops is nobody else's news.
  if ready.count[topic] then
    ready.count[topic] = math.max(ready.count[topic] - n, 0)
  end
  if stopped then
    break
  end
end

local counts = {}
for _, topic in ipairs(ready.order) do
  if ready.count[topic] > 0 then
    counts[#counts + 1] = topic
    counts[#counts + 1] = ready.count[topic]
  end
end
announceReady(channel, origin, counts)
if run.earliestId then
  announceDue(dueKey, run.earliestId, run.earliestUntil, channel, origin, shard)
end

local head = rcall("ZRANGE", dueKey, 0, 0, "WITHSCORES")
local reply = {nowMicros, moved, head[2] or "-1", #ids == limit and 1 or 0, #counts}
for _, item in ipairs(counts) do
  reply[#reply + 1] = item
end
reply[#reply + 1] = taken
for _, item in ipairs(reserved) do
  reply[#reply + 1] = item
end
return reply
