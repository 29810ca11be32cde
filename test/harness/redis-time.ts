import type { Redis } from "ioredis";

/** Now on the Redis clock (`TIME`), in whole ms: the clock every due time is on. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
