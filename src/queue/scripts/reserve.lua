--[[
  Reserves up to ARGV[6] of the oldest ready jobs, taking from the first
  topic (in the order given) that has one before the next: each job is
  `reserved` until now + its ttr, when the scheduler makes it ready again.
  Stale entries (job gone, replaced, or already moved on) are dropped as they
  are met.

  Input:
    KEYS[1]      due zset of the shard
    KEYS[2..n]   ready lists of the topics, in order of preference

    ARGV[1] shard key prefix, e.g. "{dq:0}:"
    ARGV[2] notify channel
    ARGV[3] origin
    ARGV[4] shard index
    ARGV[5] most stale entries to drop in one call
    ARGV[6] most jobs to reserve

  Output:
    {count, 1 if it stopped at the stale limit (call again) else 0,
     then per job: topic index (0-based), id, topic, body, attempts, ttr ms,
     due ms, reserved until ms, pushed at ms, sequence}
]]
local rcall = redis.call
local dueKey = KEYS[1]
local base, channel, origin, shard = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local staleLimit, wanted = tonumber(ARGV[5]), tonumber(ARGV[6])

--- @include "includes/states"
--- @include "includes/nowMs"
--- @include "includes/announceDue"

local reply = {0, 0}
local count, stale = 0, 0
local earliestId, earliestUntil
for i = 2, #KEYS do
  while count < wanted do
    local entry = rcall("LPOP", KEYS[i])
    if not entry then
      break
    end
    local sep = string.find(entry, ":", 1, true)
    local taken = false
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
        if not earliestUntil or until_ < earliestUntil then
          earliestId, earliestUntil = id, until_
        end
        local n = #reply
        reply[n + 1], reply[n + 2], reply[n + 3], reply[n + 4], reply[n + 5] = i - 2, id, job[5], job[6], attempts
        reply[n + 6], reply[n + 7], reply[n + 8] = tonumber(job[3]), tonumber(job[7]), until_
        reply[n + 9], reply[n + 10] = tonumber(job[8]), tonumber(seq)
        count = count + 1
        taken = true
      end
    end
    if not taken then
      stale = stale + 1
      if stale >= staleLimit then
        reply[2] = 1
        break
      end
    end
  end
  if count >= wanted or reply[2] == 1 then
    break
  end
end
reply[1] = count
if earliestId then
  announceDue(dueKey, earliestId, earliestUntil, channel, origin, shard)
end
return reply
