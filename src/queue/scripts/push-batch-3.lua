--[[
  Pushes many jobs of one shard in one call: for each, what push-4.lua does
  for one (create, or replace the job with the same id). One announcement of
  ready topics and at most one of an earlier due time cover the whole batch.

  Input:
    KEYS[1] jobs hash of the shard
    KEYS[2] bodies hash of the shard
    KEYS[3] due zset of the shard

    ARGV[1] shard key prefix, e.g. "{dq:0}:"
    ARGV[2] notify channel
    ARGV[3] origin
    ARGV[4] shard index
    ARGV[5..] per job, six values: id, topic, body, delay ms, ttr ms,
              "1" to refuse if the id exists

  Output:
    per job, in order: due ms (-1: refused, the id exists), replaced 0|1
]]
local rcall = redis.call
local jobsKey, bodiesKey, dueKey = KEYS[1], KEYS[2], KEYS[3]
local base, channel, origin, shard = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

--- @include "includes/nowMs"
--- @include "includes/announceDue"
--- @include "includes/announceReady"
--- @include "includes/storeJob"
--- @include "includes/topicCounts"

local now = dueMs(0)
local reply = {}
local ready = newTopicCounts()
local earliestId, earliestDue
for i = 5, #ARGV, 6 do
  local id, topic, delay = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 3])
  local due, replaced = storeJob(jobsKey, bodiesKey, dueKey, base .. "r:" .. topic, id, topic,
    ARGV[i + 2], delay, tonumber(ARGV[i + 4]), ARGV[i + 5] == "1", now)
  reply[#reply + 1] = due
  reply[#reply + 1] = replaced
  if due ~= -1 then
    if delay == 0 then
      countTopic(ready, topic)
    elseif not earliestDue or due < earliestDue then
      earliestId, earliestDue = id, due
    end
  end
end

announceReady(channel, origin, flattenCounts(ready))
if earliestId then
  announceDue(dueKey, earliestId, earliestDue, channel, origin, shard)
end
return reply
