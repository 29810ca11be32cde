--[[
  Reads one job. A script rather than two reads, because a delayed job's due
  time and a reserved job's deadline are its score in the due set, which must
  be read in the same instant as the job.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard
    KEYS[3] due zset of the shard

    ARGV[1] id

  Output:
    {state (1 delayed, 2 ready, 3 reserved), attempts, ttr ms, due ms,
     pushed at ms, reserved until ms or -1, topic, body}
    nil  no such job
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey, id = KEYS[1], KEYS[2], KEYS[3], ARGV[1]

--- @include "includes/readJob"

local value = rcall("HGET", jobsKey, id)
if not value then
  return false
end
local score = tonumber(rcall("ZSCORE", dueKey, id))
local job = readJob(value, score)
local reservedUntil = -1
if job.state == RESERVED then
  reservedUntil = score or -1
end
return {job.state, job.attempts, job.ttr, job.due or -1, job.pushed or -1, reservedUntil, job.topic, jobBody(bodiesKey, id, value, job)}
