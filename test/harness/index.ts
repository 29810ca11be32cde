export type { QueueSnapshot } from "./invariants.js";
export { checkInvariants } from "./invariants.js";
export { uniquePrefix } from "./prefix.js";
export { queueFactory } from "./queue.js";
export { closeAllRedis, startRedis } from "./redis-server.js";
export { scriptCalls } from "./script-calls.js";
export type { RedisServer, RedisServerOptions } from "./types.js";
export type { WithRedis } from "./with-redis.js";
export { externalRedis, withRedis } from "./with-redis.js";
