-- Removes a finished job: 1 removed; 0 not reserved under `token` (when one
-- is given); -1 no such job.
local function finishJob(jobsKey, bodiesKey, dueKey, id, token)
  local value = rcall("HGET", jobsKey, id)
  if not value then
    return -1
  end
  local state, seq, external = jobStateSeq(value)
  if token ~= "" and (state ~= RESERVED or token ~= seqText(seq)) then
    return 0
  end
  rcall("HDEL", jobsKey, id)
  if external then
    rcall("HDEL", bodiesKey, id)
  end
  rcall("ZREM", dueKey, id)
  return 1
end
