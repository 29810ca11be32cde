-- Reserves up to `limit` of the oldest jobs of one ready list: each becomes
-- `reserved` until now + its ttr. Stale entries (job gone, replaced, or moved
-- on) are dropped as they are met. Appends per job to `reply`: topic index,
-- id, topic, body, attempts, ttr ms, due ms, reserved until ms, pushed at ms,
-- sequence. `run` carries totals across lists: count, stale, and the earliest
-- new deadline (earliestId, earliestUntil). Returns how many it reserved, and
-- true if it stopped at `staleLimit` stale entries in all.
local function reserveReady(jobsKey, bodiesKey, dueKey, readyKey, index, limit, staleLimit, reply, run)
  local taken = 0
  while taken < limit do
    local entry = rcall("LPOP", readyKey)
    if not entry then
      break
    end
    local sep = string.find(entry, ":", 1, true)
    local ok = false
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
        if not run.earliestUntil or until_ < run.earliestUntil then
          run.earliestId, run.earliestUntil = id, until_
        end
        local n = #reply
        reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4], reply[n + 5] = index, id, job.topic, body, job.attempts
        reply[n + 6], reply[n + 7], reply[n + 8] = job.ttr, job.due, until_
        reply[n + 9], reply[n + 10] = job.pushed, job.seq
        taken = taken + 1
        ok = true
      end
    end
    if not ok then
      run.stale = run.stale + 1
      if run.stale >= staleLimit then
        return taken, true
      end
    end
  end
  return taken, false
end
