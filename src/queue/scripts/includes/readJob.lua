-- Reads a packed job (includes/jobFormat) as a table {state, attempts,
-- external, seq, ttr, due, pushed, topic, bodyAt}; the body is read only by
-- callers that need it (jobBody).

--- @include "includes/jobFormat"

local headFormats = {}

-- `score` is the job's due-set score: needed for the due and pushed-at times
-- of a delayed job, ignored otherwise.
local function readJob(value, score)
  local head = string.byte(value, 1)
  -- The state is the low bits of sa's last byte: it says whether a due time
  -- follows the topic before the format is chosen.
  local state = string.byte(value, 1 + jobWidthBytes[head % 4 + 1]) % 4
  local due, at
  local _, sa, seq, ttr, lead, topic, x, y = struct.unpack(jobFormat(head, state ~= DELAYED), value)
  if state == DELAYED then
    due, at = score, x
  else
    due, at = x, y
  end
  return {
    state = state,
    attempts = math.floor(sa / 8),
    external = sa % 8 >= 4,
    seq = seq,
    ttr = ttr,
    due = due,
    pushed = due and due - lead,
    topic = topic,
    bodyAt = at,
  }
end

-- State, sequence, and whether the body is in the bodies hash: all a check
-- of a token needs.
local function jobStateSeq(value)
  local codes = string.byte(value, 1) % 16
  local format = headFormats[codes]
  if not format then
    format = ">B" .. jobWidths[codes % 4 + 1] .. jobWidths[math.floor(codes / 4) + 1]
    headFormats[codes] = format
  end
  local _, sa, seq = struct.unpack(format, value)
  return sa % 4, seq, sa % 8 >= 4
end

local function jobBody(bodiesKey, id, value, job)
  if job.external then
    return redis.call("HGET", bodiesKey, id)
  end
  return string.sub(value, job.bodyAt)
end
