import type { Redis } from "ioredis";

/** `INFO <section>` as a key/value map. */
export async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const map = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) map.set(line.slice(0, at), line.slice(at + 1));
  }
  return map;
}

/** Calls per command (lower case) from `INFO commandstats`. Redis 7 counts commands run inside scripts too. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [key, value] of await info(redis, "commandstats")) {
    const name = /^cmdstat_(.+)$/.exec(key)?.[1];
    const count = /calls=(\d+)/.exec(value)?.[1];
    if (name && count) calls.set(name, Number(count));
  }
  return calls;
}

/** `after - before`, dropping zeros. */
export function diffCalls(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  const diff = new Map<string, number>();
  for (const [name, count] of after) {
    const delta = count - (before.get(name) ?? 0);
    if (delta > 0) diff.set(name, delta);
  }
  return diff;
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number((await info(redis, "memory")).get("used_memory") ?? 0);
}

/** Redis CPU seconds (user + sys) so far, from `INFO cpu`. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const cpu = await info(redis, "cpu");
  return Number(cpu.get("used_cpu_user") ?? 0) + Number(cpu.get("used_cpu_sys") ?? 0);
}

/** Empties every database and resets the command statistics. */
export async function resetRedis(redis: Redis): Promise<void> {
  await redis.flushall();
  await redis.config("RESETSTAT");
}
