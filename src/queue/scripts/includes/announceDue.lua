-- Tells the other processes' schedulers when `id` became the earliest entry of
-- the due set, so none of them sleeps past it. Message: "d <origin> <shard> <due>".
local function announceDue(dueKey, id, due, channel, origin, shard)
  if redis.call("ZRANGE", dueKey, 0, 0)[1] == id then
    redis.call("PUBLISH", channel, "d " .. origin .. " " .. shard .. " " .. string.format("%d", due))
  end
end
