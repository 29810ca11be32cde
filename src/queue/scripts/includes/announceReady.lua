-- Wakes long-polls in every process for a topic that got `count` ready jobs.
-- Message: "r <origin> <topic> <count> [<topic> <count> ...]".
local function announceReady(channel, origin, topicCounts)
  if #topicCounts > 0 then
    redis.call("PUBLISH", channel, "r " .. origin .. " " .. table.concat(topicCounts, " "))
  end
end
