--[[
  Reserves the oldest ready job of the first topic (in the order given) that
  has one: the job is `reserved` until now + ttr, when the scheduler makes it
  ready again. Stale entries (job gone, replaced, or already moved on) are
  dropped as they are met.

  Input:
    KEYS[1]      due zset of the shard
    KEYS[2..n]   ready lists of the topics, in order of preference

    ARGV[1] shard key prefix, e.g. "{dq:0}:"
    ARGV[2] notify channel
    ARGV[3] origin
    ARGV[4] shard index
    ARGV[5] most stale entries to drop in one call

  Output:
    {1, topic index (0-based), id, topic, body, attempts, ttr ms, due ms,
        reserved until ms, pushed at ms, sequence}
    {0}  no ready job
    {2}  dropped the most stale entries allowed: call again
]]
local rcall = redis.call
local dueKey = KEYS[1]
local base, channel, origin, shard = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local staleLimit = tonumber(ARGV[5])

--- @include "includes/states"
--- @include "includes/nowMs"
--- @include "includes/announceDue"

local stale = 0
for i = 2, #KEYS do
  while true do
    local entry = rcall("LPOP", KEYS[i])
    if not entry then
      break
    end
    local sep = string.find(entry, ":", 1, true)
    if sep then
      local seq = string.sub(entry, 1, sep - 1)
      local id = string.sub(entry, sep + 1)
      local jobKey = base .. "j:" .. id
      local job = rcall("HMGET", jobKey, "s", "q", "r", "a", "t", "b", "d", "c")
      if job[1] == READY and job[2] == seq then
        local attempts = tonumber(job[4]) + 1
        local until_ = dueMs(tonumber(job[3]))
        rcall("HSET", jobKey, "s", RESERVED, "a", attempts, "x", until_)
        rcall("ZADD", dueKey, until_, id)
        announceDue(dueKey, id, until_, channel, origin, shard)
        return {1, i - 2, id, job[5], job[6], attempts, tonumber(job[3]), tonumber(job[7]), until_,
          tonumber(job[8]), tonumber(seq)}
      end
    end
    stale = stale + 1
    if stale >= staleLimit then
      return {2}
    end
  end
end
return {0}
