--[[
  Pushes many jobs of one shard in one call: for each, what push-4.lua does
  for one (create, or replace the job with the same id). One announcement of
  ready topics and at most one of an earlier due time cover the whole batch.
  The writes go out a command per kind (HMGET, HSET, ZADD, RPUSH per topic) in
  chunks, not a command per job: most of a script's cost per job was its
  redis.call overhead. A batch naming an id twice takes the job-by-job path,
  where each push sees the one before it.

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

-- Values per command call: well under Lua's unpack limit, and even, for pairs.
local CHUNK = 1000

local function callChunked(command, key, args)
  for first = 1, #args, CHUNK do
    rcall(command, key, unpack(args, first, math.min(first + CHUNK - 1, #args)))
  end
end

local now = dueMs(0)
local reply = {}
local ready = newTopicCounts()
local earliestId, earliestDue

-- What each id holds now, and whether any id comes twice.
local ids, seen, twice = {}, {}, false
for i = 5, #ARGV, 6 do
  local id = ARGV[i]
  if seen[id] then twice = true end
  seen[id] = true
  ids[#ids + 1] = id
end

local function noteDue(id, topic, delay, due)
  if delay == 0 then
    countTopic(ready, topic)
  elseif not earliestDue or due < earliestDue then
    earliestId, earliestDue = id, due
  end
end

if twice then
  for i = 5, #ARGV, 6 do
    local id, topic, delay = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 3])
    local due, replaced = storeJob(jobsKey, bodiesKey, dueKey, base .. "r:" .. topic, id, topic,
      ARGV[i + 2], delay, tonumber(ARGV[i + 4]), ARGV[i + 5] == "1", now)
    reply[#reply + 1] = due
    reply[#reply + 1] = replaced
    if due ~= -1 then noteDue(id, topic, delay, due) end
  end
else
  local olds = {}
  for first = 1, #ids, CHUNK do
    local got = rcall("HMGET", jobsKey, unpack(ids, first, math.min(first + CHUNK - 1, #ids)))
    for k = 1, #got do olds[first + k - 1] = got[k] end
  end
  local jobs, dues, bodies, dropBodies, unqueue, readyByTopic = {}, {}, {}, {}, {}, {}
  local n = 0
  for i = 5, #ARGV, 6 do
    n = n + 1
    local id, topic, body, delay = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    local old = olds[n]
    if old and ARGV[i + 5] == "1" then
      reply[#reply + 1] = -1
      reply[#reply + 1] = 0
    else
      local job, oldExternal = pushedJob(old, topic, body, delay, tonumber(ARGV[i + 4]), now)
      local due, seq = job.due, job.seq
      if job.external then
        bodies[#bodies + 1] = id
        bodies[#bodies + 1] = body
        body = ""
      elseif oldExternal then
        dropBodies[#dropBodies + 1] = id
      end
      jobs[#jobs + 1] = id
      jobs[#jobs + 1] = packJob(job, body)
      if delay == 0 then
        unqueue[#unqueue + 1] = id
        local entries = readyByTopic[topic]
        if not entries then
          entries = {}
          readyByTopic[topic] = entries
        end
        entries[#entries + 1] = seqText(seq) .. ":" .. id
      else
        dues[#dues + 1] = due
        dues[#dues + 1] = id
      end
      reply[#reply + 1] = due
      reply[#reply + 1] = old and 1 or 0
      noteDue(id, topic, delay, due)
    end
  end
  callChunked("HSET", bodiesKey, bodies)
  callChunked("HDEL", bodiesKey, dropBodies)
  callChunked("HSET", jobsKey, jobs)
  callChunked("ZREM", dueKey, unqueue)
  callChunked("ZADD", dueKey, dues)
  for _, topic in ipairs(ready.order) do
    callChunked("RPUSH", base .. "r:" .. topic, readyByTopic[topic])
  end
end

announceReady(channel, origin, flattenCounts(ready))
if earliestId then
  announceDue(dueKey, earliestId, earliestDue, channel, origin, shard)
end
return reply
