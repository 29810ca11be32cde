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

local reply = {0, 0}
local count, stale = 0, 0
local earliestId, earliestUntil
for i = 4, #KEYS do
  while count < wanted do
    local entry = rcall("LPOP", KEYS[i])
    if not entry then
      break
    end
    local sep = string.find(entry, ":", 1, true)
    local taken = false
    if sep then
      local id = string.sub(entry, sep + 1)
      local value = rcall("HGET", jobsKey, id)
      local job = value and readJob(value)
      if job and job.state == READY and seqText(job.seq) == string.sub(entry, 1, sep - 1) then
        local body = jobBody(bodiesKey, id, value, job)
        local until_ = dueMs(job.ttr)
        job.state, job.attempts = RESERVED, job.attempts + 1
        rcall("HSET", jobsKey, id, packJob(job, job.external and "" or body))
        rcall("ZADD", dueKey, until_, id)
        if not earliestUntil or until_ < earliestUntil then
          earliestId, earliestUntil = id, until_
        end
        local n = #reply
        reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4], reply[n + 5] = i - 4, id, job.topic, body, job.attempts
        reply[n + 6], reply[n + 7], reply[n + 8] = job.ttr, job.due, until_
        reply[n + 9], reply[n + 10] = job.pushed, job.seq
        count = count + 1
        taken = true
      end
    end
    if not taken then
      stale = stale + 1
      if stale >= staleLimit then
        reply[2] = 1
        break
      end
    end
  end
  if count >= wanted or reply[2] == 1 then
    break
  end
end
reply[1] = count
if earliestId then
  announceDue(dueKey, earliestId, earliestUntil, channel, origin, shard)
end
return reply
