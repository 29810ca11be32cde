import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { scriptCalls, withRedis } from "./harness/index.js";
import { uniquePrefix } from "./harness/prefix.js";
import { queueFactory } from "./harness/queue.js";

const ROUNDS = 30;

describe("waking parked pops", () => {
  const redis = withRedis();
  const open = queueFactory(redis);

  // A pop tries the shards one after another. Pushes landing meanwhile used to wake an
  // idle waiter, which took a job from a shard the looking pop had yet to reach; the
  // looking pop, past the shard of the new job, went back to sleep: a ready job and a
  // parked pop, and no news left to bring them together until the 1 s re-check.
  it("hands every job pushed by another engine to the pops parked for it, without the re-check", async () => {
    const prefix = uniquePrefix("wake");
    const parkedOn = await open({ prefix, shards: 3, recheckIntervalMs: 60_000 });
    const pusher = await open({ prefix, shards: 3 });
    const slow: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const topic = `wake-${round}`;
      const pops = [0, 1, 2].map(() => parkedOn.pop([topic], { timeoutMs: 5_000 }));
      // Parked, and done with their first look.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(parkedOn.waiting).toBe(3);
      const ids = [0, 1, 2].map((n) => `${topic}-${n}`);
      const pushedAt = performance.now();
      for (const id of ids) await pusher.push({ topic, id, body: id, delayMs: 0, ttrMs: 60_000 });
      const got = await Promise.all(pops);
      const ms = performance.now() - pushedAt;
      if (ms > 1_000) slow.push(`round ${round}: ${Math.round(ms)} ms`);
      expect(new Set(got.map((job) => job?.id))).toEqual(new Set(ids));
    }
    expect(slow).toEqual([]);
  });
});

describe("a woken pop", () => {
  const redis = withRedis();
  const open = queueFactory(redis);

  it("looks first in the shard its news was about", async () => {
    const queue = await open({ shards: 8 });
    const admin = new Redis(redis.server.url);
    try {
      const reserves = () => scriptCalls(admin);
      // Load the scripts, so that every later call is one EVALSHA.
      await queue.push({ topic: "warm", id: "warm", body: "", delayMs: 0, ttrMs: 1000 });
      await queue.pop(["warm"]);
      for (let round = 0; round < 10; round++) {
        const popping = queue.pop(["hint"], { timeoutMs: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 30));
        const before = await reserves();
        await queue.push({ topic: "hint", id: `h${round}`, body: "", delayMs: 0, ttrMs: 1000 });
        expect((await popping)?.id).toBe(`h${round}`);
        // The push, then one reserve: not a walk over the other seven shards.
        expect((await reserves()) - before).toBe(2);
      }
    } finally {
      await admin.quit();
    }
  });
});

describe("a parked pop's look", () => {
  const redis = withRedis();
  const open = queueFactory(redis);

  it("skips shards a look found empty with no news since, and still gets what lands there", async () => {
    const queue = await open({ shards: 8, recheckIntervalMs: 60_000 });
    const other = await open({ prefix: queue.prefix, shards: 8 });
    const admin = new Redis(redis.server.url);
    try {
      const calls = () => scriptCalls(admin);
      await other.push({ topic: "warm", id: "warm", body: "", delayMs: 0, ttrMs: 1000 });
      await queue.pop(["warm"]);
      expect(await queue.pop(["skip"], { timeoutMs: 20 })).toBeNull();
      const before = await calls();
      expect(await queue.pop(["skip"], { timeoutMs: 20 })).toBeNull();
      // Every shard was seen empty, and nothing happened since: no reserve at all.
      expect((await calls()) - before).toBe(0);
      // A job pushed by another process lands in a skipped shard; its news wakes the pop.
      const popping = queue.pop(["skip"], { timeoutMs: 5000 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await other.push({ topic: "skip", id: "s1", body: "", delayMs: 0, ttrMs: 1000 });
      expect((await popping)?.id).toBe("s1");
      // A pop that looks once looks everywhere: it must see what others acknowledged.
      await other.push({ topic: "skip", id: "s2", body: "", delayMs: 0, ttrMs: 1000 });
      expect((await queue.pop(["skip"]))?.id).toBe("s2");
    } finally {
      await admin.quit();
    }
  });
});
