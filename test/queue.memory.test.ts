import { describe, expect, it } from "vitest";
import { shardKeys } from "../src/queue/index.js";
import { queueFactory, withRedis } from "./harness/index.js";

// The file's own redis-server, at its default settings: nothing else writes to it.
const redis = withRedis();
const openQueue = queueFactory(redis);

async function usedMemory(): Promise<number> {
  const info = await redis.server.client().info("memory");
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

describe("Redis memory", () => {
  it("keeps a pending job with a 100-byte body under 300 bytes", async () => {
    // The cost per job moves with the count, by Redis's hash tables: their
    // bucket arrays are power-of-two sized (~303 B a job at 1M jobs), and one
    // that has just doubled keeps both until its incremental rehash ends (up
    // to ~15 B a job more meanwhile). 16 000 is just under a power of two,
    // past the last doubling: the layout's own cost (docs/ENGINE.md).
    const count = 16_000;
    const batch = 200; // small requests, so Redis's query buffer stays small
    const queue = await openQueue({ shards: 1, scheduler: false });
    // As the bench's scale scenario has them: due in 1 to 2 hours, in no order.
    const job = (n: number) => ({
      topic: "bench-pending",
      id: `s-${String(n).padStart(10, "0")}`,
      body: "x".repeat(100),
      delayMs: 3_600_000 + ((n * 7919) % 3_600_000),
      ttrMs: 60_000,
    });
    // Loads the script before the baseline, and leaves no job behind.
    await queue.pushMany([job(-1)]);
    await queue.delete(job(-1).id);
    const before = await usedMemory();
    for (let at = 0; at < count; at += batch) {
      await queue.pushMany(Array.from({ length: batch }, (_, i) => job(at + i)));
    }
    const perJob = ((await usedMemory()) - before) / count;
    const keys = shardKeys(queue.prefix, 0);
    expect(await queue.redis.hlen(keys.jobs)).toBe(count);
    expect(await queue.redis.zcard(keys.due)).toBe(count);
    console.log(`Redis memory per pending job: ${perJob.toFixed(1)} B`);
    expect(perJob).toBeGreaterThan(200); // the jobs are really there, bodies and all
    expect(perJob).toBeLessThanOrEqual(300);
  });
});
