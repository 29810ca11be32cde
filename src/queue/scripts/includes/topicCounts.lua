-- Counts ready jobs per topic in first-seen order, for one announceReady per call.
local function newTopicCounts()
  return {order = {}, count = {}}
end

local function countTopic(counts, topic)
  if not counts.count[topic] then
    counts.count[topic] = 0
    counts.order[#counts.order + 1] = topic
  end
  counts.count[topic] = counts.count[topic] + 1
end

-- {topic, n, topic, n, ...}
local function flattenCounts(counts)
  local flat = {}
  for _, topic in ipairs(counts.order) do
    flat[#flat + 1] = topic
    flat[#flat + 1] = counts.count[topic]
  end
  return flat
end
