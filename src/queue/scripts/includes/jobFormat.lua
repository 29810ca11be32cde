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
-- readJob and packJob (their own includes) read and write it; this file has
-- what both need.

--- @include "includes/states"

local BODY_INLINE_MAX = 1024
local jobWidths, jobWidthBytes = {"I1", "I2", "I4", "I7"}, {1, 2, 4, 7}
local jobFormats = {}

-- The struct format of everything before the body, built once per head byte
-- and kind of state per call (a promote or batch push meets the same few).
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

-- Sequence numbers as ready entries and tokens spell them (never "1e+15").
local function seqText(seq)
  return string.format("%d", seq)
end
