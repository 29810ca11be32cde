--[[
  The consumer is done with a reserved job: it is removed. A job that is not
  reserved (replaced by a new push meanwhile, say) is left alone, so a late
  finish never removes a rescheduled job.

  Input:
    KEYS[1] job hash
    KEYS[2] due zset of the shard

    ARGV[1] id
    ARGV[2] reservation sequence, or "" for any reservation

  Output:
    1   removed
    0   the job exists but is not reserved (under that sequence)
    -1  no such job
]]
local rcall = redis.call
local jobKey, dueKey = KEYS[1], KEYS[2]
local id, token = ARGV[1], ARGV[2]

--- @include "includes/states"

local job = rcall("HMGET", jobKey, "s", "q")
if not job[1] then
  return -1
end
if job[1] ~= RESERVED or (token ~= "" and token ~= job[2]) then
  return 0
end
rcall("DEL", jobKey)
rcall("ZREM", dueKey, id)
return 1
