--[[
  Hands a reserved job back before its ttr runs out: ready again at once (at
  the head of its list when the reservation is undone, as for a cancelled
  long-poll; at the tail otherwise) or delayed by ARGV[3].

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] due zset of the shard

    ARGV[1] id
    ARGV[2] reservation sequence, or "" for any reservation
    ARGV[3] delay, ms
    ARGV[4] "1": undo the reservation (the attempt does not count)
    ARGV[5] shard key prefix, e.g. "{dq:0}:" (for the ready list)
    ARGV[6] notify channel
    ARGV[7] origin
    ARGV[8] shard index

  Output:
    {1, topic, due ms}  released
    {0}   the job exists but is not reserved (under that sequence)
    {-1}  no such job
]]
local rcall = redis.call
local jobsKey, dueKey = KEYS[1], KEYS[2]
local id, token, delay, undo = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == "1"
local base, channel, origin, shard = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

--- @include "includes/nowMs"
--- @include "includes/announceDue"
--- @include "includes/announceReady"
--- @include "includes/readJob"
--- @include "includes/packJob"

local value = rcall("HGET", jobsKey, id)
if not value then
  return {-1}
end
local job = readJob(value)
if job.state ~= RESERVED or (token ~= "" and token ~= seqText(job.seq)) then
  return {0}
end
job.seq = job.seq + 1
if undo and job.attempts > 0 then
  job.attempts = job.attempts - 1
end
local due = dueMs(delay)
job.due = due
if delay == 0 then
  job.state = READY
  rcall("HSET", jobsKey, id, repackJob(job, value))
  rcall("ZREM", dueKey, id)
  local readyKey = base .. "r:" .. job.topic
  if undo then
    rcall("LPUSH", readyKey, seqText(job.seq) .. ":" .. id)
  else
    rcall("RPUSH", readyKey, seqText(job.seq) .. ":" .. id)
  end
  announceReady(channel, origin, {job.topic, 1})
else
  job.state = DELAYED
  rcall("HSET", jobsKey, id, repackJob(job, value))
  rcall("ZADD", dueKey, due, id)
  announceDue(dueKey, id, due, channel, origin, shard)
end
return {1, job.topic, due}
