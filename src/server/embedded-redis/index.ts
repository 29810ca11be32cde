export type { EmbeddedRedisErrorKind } from "./errors.js";
export { EmbeddedRedisError } from "./errors.js";
export { startEmbeddedRedis } from "./start.js";
export type { EmbeddedRedis, EmbeddedRedisOptions, RedisExit } from "./types.js";
