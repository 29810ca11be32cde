--[[
  Creates a job, or replaces the job with the same id (new topic, body, delay
  and ttr; attempts back to 0). Older ready entries of a replaced job turn stale
  because the sequence moves on.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard (bodies too long to pack with the job)
    KEYS[3] due zset of the shard
    KEYS[4] ready list of the new topic

    ARGV[1] id
    ARGV[2] topic
    ARGV[3] body
    ARGV[4] delay, ms (0: ready now)
    ARGV[5] ttr, ms
    ARGV[6] "1": refuse if the id exists
    ARGV[7] notify channel
    ARGV[8] origin (the calling process, so it can ignore its own news)
    ARGV[9] shard index

  Output:
    {0, due ms, replaced 0|1}
    {-1}  the id exists and ARGV[6] is "1"
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey, readyKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, topic, body = ARGV[1], ARGV[2], ARGV[3]
local delay, ttr = tonumber(ARGV[4]), tonumber(ARGV[5])
local channel, origin, shard = ARGV[7], ARGV[8], ARGV[9]

--- @include "includes/nowMs"
--- @include "includes/announceDue"
--- @include "includes/announceReady"
--- @include "includes/storeJob"

local due, replaced = storeJob(jobsKey, bodiesKey, dueKey, readyKey, id, topic, body, delay, ttr, ARGV[6] == "1", dueMs(0))
if due == -1 then
  return {-1}
end
if delay == 0 then
  announceReady(channel, origin, {topic, 1})
else
  announceDue(dueKey, id, due, channel, origin, shard)
end
return {0, due, replaced}
