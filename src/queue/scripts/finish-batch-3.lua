--[[
  Finishes many jobs of one shard in one call: for each, what finish-3.lua
  does for one.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard
    KEYS[3] due zset of the shard

    ARGV[1..] per job, two values: id, reservation sequence (token) or ""

  Output:
    per job, in order: 1 removed, 0 not reserved under that token, -1 no such job
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey = KEYS[1], KEYS[2], KEYS[3]

--- @include "includes/readJob"
--- @include "includes/finishJob"

local reply = {}
for i = 1, #ARGV - 1, 2 do
  reply[#reply + 1] = finishJob(jobsKey, bodiesKey, dueKey, ARGV[i], ARGV[i + 1])
end
return reply
