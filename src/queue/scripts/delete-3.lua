--[[
  Removes a job whatever its state. A ready entry left behind turns stale and
  is dropped by the next reserve that meets it.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard
    KEYS[3] due zset of the shard

    ARGV[1] id

  Output:
    1  removed
    0  no such job
]]
local rcall = redis.call
local removed = rcall("HDEL", KEYS[1], ARGV[1])
rcall("HDEL", KEYS[2], ARGV[1])
rcall("ZREM", KEYS[3], ARGV[1])
return removed
