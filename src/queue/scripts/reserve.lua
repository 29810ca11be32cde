--[[
  Reserves up to ARGV[5] of the oldest ready jobs, taking from the first
  topic (in the order given) that has one before the next: each job is
  `reserved` until now + its ttr, when the scheduler makes it ready again.
  Stale entries (job gone, replaced, or already moved on) are dropped as they
  are met.

  Input:
    KEYS[1]      jobs hash of the shard
    KEYS[2]      bodies hash of the shard
    KEYS[3]      due zset of the shard
    KEYS[4..n]   ready lists of the topics, in order of preference

    ARGV[1] notify channel
    ARGV[2] origin
    ARGV[3] shard index
    ARGV[4] most stale entries to drop in one call
    ARGV[5] most jobs to reserve

  Output:
    {count, 1 if it stopped at the stale limit (call again) else 0,
     then per job: topic index (0-based), id, topic, body, attempts, ttr ms,
     due ms, reserved until ms, pushed at ms, sequence}
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey = KEYS[1], KEYS[2], KEYS[3]
local channel, origin, shard = ARGV[1], ARGV[2], ARGV[3]
local staleLimit, wanted = tonumber(ARGV[4]), tonumber(ARGV[5])

--- @include "includes/nowMs"
--- @include "includes/announceDue"
--- @include "includes/readJob"
--- @include "includes/packJob"
--- @include "includes/reserveReady"

local reply = {0, 0}
local run = {stale = 0}
local count = 0
for i = 4, #KEYS do
  local taken, stopped = reserveReady(jobsKey, bodiesKey, dueKey, KEYS[i], i - 4, wanted - count, staleLimit, reply, run)
  count = count + taken
  if stopped then
    reply[2] = 1
    break
  end
  if count >= wanted then
    break
  end
end
reply[1] = count
if run.earliestId then
  announceDue(dueKey, run.earliestId, run.earliestUntil, channel, origin, shard)
end
return reply
