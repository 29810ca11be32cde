-- Writes one pushed job, creating it or replacing the job with that id (new
-- topic, body, delay and ttr; attempts back to 0). Older ready entries of a
-- replaced job turn stale because the sequence moves on.
-- Returns -1 when `ifAbsent` and the id exists; else the due ms and 1 if it replaced a job.

--- @include "includes/readJob"
--- @include "includes/packJob"

-- The job a push writes over `old` (the stored value, or nil): attempts back
-- to 0, the sequence moved past old's. Also whether old's body was external.
local function pushedJob(old, topic, body, delay, ttr, now)
  local seq, oldExternal = 1, false
  if old then
    local _, oldSeq, external = jobStateSeq(old)
    seq, oldExternal = oldSeq + 1, external
  end
  return {state = delay == 0 and READY or DELAYED, attempts = 0, external = #body > BODY_INLINE_MAX,
    seq = seq, ttr = ttr, due = now + delay, pushed = now, topic = topic}, oldExternal
end

local function storeJob(jobsKey, bodiesKey, dueKey, readyKey, id, topic, body, delay, ttr, ifAbsent, now)
  local old = redis.call("HGET", jobsKey, id)
  if old and ifAbsent then
    return -1, 0
  end
  local job, oldExternal = pushedJob(old, topic, body, delay, ttr, now)
  local due, seq = job.due, job.seq
  if job.external then
    redis.call("HSET", bodiesKey, id, body)
    body = ""
  elseif oldExternal then
    redis.call("HDEL", bodiesKey, id)
  end
  if delay == 0 then
    redis.call("HSET", jobsKey, id, packJob(job, body))
    redis.call("ZREM", dueKey, id)
    redis.call("RPUSH", readyKey, seqText(seq) .. ":" .. id)
  else
    redis.call("HSET", jobsKey, id, packJob(job, body))
    redis.call("ZADD", dueKey, due, id)
  end
  return due, old and 1 or 0
end
