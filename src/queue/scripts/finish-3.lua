--[[
  The consumer is done: the job is removed. Given the token of a hand-out,
  only while the job is still reserved by that hand-out, so a consumer whose
  ttr ran out (or whose job was pushed again meanwhile) removes nothing.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard
    KEYS[3] due zset of the shard

    ARGV[1] id
    ARGV[2] reservation sequence (token), or "" to remove whatever the state

  Output:
    1   removed
    0   the job exists but is not reserved under that token
    -1  no such job
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey = KEYS[1], KEYS[2], KEYS[3]
local id, token = ARGV[1], ARGV[2]

--- @include "includes/readJob"
--- @include "includes/finishJob"

return finishJob(jobsKey, bodiesKey, dueKey, id, token)
