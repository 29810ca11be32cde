--[[
  The consumer is done: the job is removed. Given the token of a hand-out,
  only while the job is still reserved by that hand-out, so a consumer whose
  ttr ran out (or whose job was pushed again meanwhile) removes nothing.

  Input:
    KEYS[1] job hash
    KEYS[2] due zset of the shard

    ARGV[1] id
    ARGV[2] reservation sequence (token), or "" to remove whatever the state

  Output:
    1   removed
    0   the job exists but is not reserved under that token
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
if token ~= "" and (job[1] ~= RESERVED or token ~= job[2]) then
  return 0
end
rcall("DEL", jobKey)
rcall("ZREM", dueKey, id)
return 1
