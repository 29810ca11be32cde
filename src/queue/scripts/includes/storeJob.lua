-- Writes one pushed job, creating it or replacing the job with that id (new
-- topic, body, delay and ttr; attempts back to 0). Older ready entries of a
-- replaced job turn stale because the sequence moves on.
-- Returns -1 when `ifAbsent` and the id exists; else the due ms and 1 if it replaced a job.
local function storeJob(jobKey, dueKey, readyKey, id, topic, body, delay, ttr, ifAbsent, now)
  local oldSeq = redis.call("HGET", jobKey, "q")
  if oldSeq and ifAbsent then
    return -1, 0
  end
  local seq = (tonumber(oldSeq) or 0) + 1
  local due = now + delay
  redis.call("HDEL", jobKey, "x")
  if delay == 0 then
    redis.call("HSET", jobKey, "t", topic, "b", body, "r", ttr, "d", due, "s", READY, "a", 0, "c", now, "q", seq)
    redis.call("ZREM", dueKey, id)
    redis.call("RPUSH", readyKey, seq .. ":" .. id)
  else
    redis.call("HSET", jobKey, "t", topic, "b", body, "r", ttr, "d", due, "s", DELAYED, "a", 0, "c", now, "q", seq)
    redis.call("ZADD", dueKey, due, id)
  end
  return due, oldSeq and 1 or 0
end
