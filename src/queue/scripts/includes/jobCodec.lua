-- A job is one field of its shard's jobs hash, id -> packed value: a pending
-- job then costs one hash entry, not a hash of its own whose body alone pushes
-- it out of the compact encoding. The value, integers big-endian:
--
--   head     1 byte: a 2-bit width code for each of the next four integers,
--            lowest bits first (widths 1, 2, 4, 7 bytes; 7 holds any integer
--            a Lua number holds exactly), so small numbers take one byte
--   sa       attempts * 8 + 4 if the body is in the bodies hash + state:
--            all in one byte while attempts < 32
--   seq      sequence, bumped by every transition that makes a ready entry
--   ttr      ms
--   lead     due ms - pushed-at ms, clamped at 0 (should Redis TIME step
--            back, pushed-at reads as the due time): small for most delays,
--            where an absolute time takes 6 bytes
--   topic    zero-terminated (topics never hold a NUL)
--   due      ms, 6 bytes, only while ready or reserved; a delayed job's due
--            time is its score in the due set, so it is not stored twice
--   body     the rest of the value, as pushed: no length of its own; empty
--            when the body is longer than BODY_INLINE_MAX and lives in the
--            shard's bodies hash instead, so that the transitions that rewrite
--            the job (Redis has no partial update of a field) do not copy it
--
-- A job reads as a table {state, attempts, external, seq, ttr, due, pushed,
-- topic, bodyAt}; the body is read only by callers that need it (jobBody).

--- @include "includes/states"

local BODY_INLINE_MAX = 1024
local jobWidths = {"I1", "I2", "I4", "I7"}
local jobFormats, headFormats = {}, {}

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

-- The struct format of everything before the body, built once per head byte
-- and state kind per call (a promote or batch push meets the same few).
local function jobFormat(head, withDue)
  local key = withDue and head + 256 or head
  local format = jobFormats[key]
  if not format then
    format = ">B" .. jobWidths[head % 4 + 1] .. jobWidths[math.floor(head / 4) % 4 + 1]
      .. jobWidths[math.floor(head / 16) % 4 + 1] .. jobWidths[math.floor(head / 64) + 1] .. "s"
      .. (withDue and "I6" or "")
    jobFormats[key] = format
  end
  return format
end

-- Just the head, sa and seq, for checks that need no more.
local function headFormat(head)
  local format = headFormats[head]
  if not format then
    format = ">B" .. jobWidths[head % 4 + 1] .. jobWidths[math.floor(head / 4) % 4 + 1]
    headFormats[head] = format
  end
  return format
end

-- Sequence numbers as ready entries and tokens spell them (never "1e+15").
local function seqText(seq)
  return string.format("%d", seq)
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

-- `score` is the job's due-set score: needed for the due and pushed-at times
-- of a delayed job, ignored otherwise.
local function readJob(value, score)
  local head = string.byte(value, 1)
  local _, sa, seq, ttr, lead, topic, at = struct.unpack(jobFormat(head, false), value)
  local state = sa % 4
  local due = score
  if state ~= DELAYED then
    due, at = struct.unpack(">I6", value, at)
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

-- State, sequence, and whether the body is in the bodies hash.
local function jobStateSeq(value)
  local _, sa, seq = struct.unpack(headFormat(string.byte(value, 1)), value)
  return sa % 4, seq, sa % 8 >= 4
end

local function jobBody(bodiesKey, id, value, job)
  if job.external then
    return redis.call("HGET", bodiesKey, id)
  end
  return string.sub(value, job.bodyAt)
end

-- The job rewritten with its body where it was: an external body is not read.
local function repackJob(job, value)
  if job.external then
    return packJob(job, "")
  end
  return packJob(job, string.sub(value, job.bodyAt))
end
