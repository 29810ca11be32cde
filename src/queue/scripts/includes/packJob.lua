-- Writes a job as includes/jobFormat describes.

--- @include "includes/jobFormat"

local function widthCode(n)
  if n < 256 then
    return 0
  elseif n < 65536 then
    return 1
  elseif n < 4294967296 then
    return 2
  end
  return 3
end

-- `body` is "" for a job whose body is in the bodies hash.
local function packJob(job, body)
  local sa = job.attempts * 8 + (job.external and 4 or 0) + job.state
  local lead = math.max(job.due - job.pushed, 0)
  local head = widthCode(sa) + widthCode(job.seq) * 4 + widthCode(job.ttr) * 16 + widthCode(lead) * 64
  if job.state == DELAYED then
    return struct.pack(jobFormat(head, false), head, sa, job.seq, job.ttr, lead, job.topic) .. body
  end
  return struct.pack(jobFormat(head, true), head, sa, job.seq, job.ttr, lead, job.topic, job.due) .. body
end

-- The job rewritten with its body where it was: an external body is not read.
local function repackJob(job, value)
  if job.external then
    return packJob(job, "")
  end
  return packJob(job, string.sub(value, job.bodyAt))
end
