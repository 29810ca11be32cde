import { afterEach, describe, expect, it } from "vitest";
import {
  createDelayQueue,
  type DelayQueue,
  type DelayQueueOptions,
  shardKeys,
} from "../src/queue/index.js";
import { runConsumers } from "./harness/consumers.js";
import { checkInvariants, uniquePrefix, withRedis } from "./harness/index.js";
import { redisNow } from "./harness/redis-time.js";
import { waitUntil } from "./harness/wait.js";

const SHARDS = 3;
const JOBS = 2_000;

describe("two engine instances on one Redis", () => {
  const redis = withRedis();
  const opened: DelayQueue[] = [];

  async function open(prefix: string, options: DelayQueueOptions = {}): Promise<DelayQueue> {
    const queue = await createDelayQueue({
      connection: redis.server.url,
      prefix,
      shards: SHARDS,
      ...options,
    });
    opened.push(queue);
    return queue;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
  });

  it("delivers each of 2,000 jobs pushed through either instance exactly once", async () => {
    const prefix = uniquePrefix("multi");
    const instances = [await open(prefix), await open(prefix)] as const;
    const topic = "load";
    const deliveries = new Map<string, number>();
    const finishes = new Map<string, number>();
    let retried = 0;
    const stop = new AbortController();
    const perInstance = [0, 0];
    const consumers = instances.map((queue, index) =>
      runConsumers(queue, {
        topics: [topic],
        concurrency: 8,
        timeoutMs: 1_000,
        signal: stop.signal,
        async onJob(job) {
          if (job.attempts !== 1) retried++;
          perInstance[index] = (perInstance[index] ?? 0) + 1;
          deliveries.set(job.id, (deliveries.get(job.id) ?? 0) + 1);
          const result = await queue.finish(job.id, job.token);
          finishes.set(result, (finishes.get(result) ?? 0) + 1);
        },
      }),
    );

    let next = 0;
    const pushLoop = async () => {
      for (let n = next++; n < JOBS; n = next++) {
        const queue = instances[n % 2] as DelayQueue;
        const delayMs = n % 3 === 0 ? 0 : 1 + (n % 300);
        await queue.push({ topic, id: `job-${n}`, body: `body ${n}`, delayMs, ttrMs: 30_000 });
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, pushLoop));
      await waitUntil(() => deliveries.size >= JOBS, {
        timeoutMs: 25_000,
        message: () => `all ${JOBS} jobs delivered (got ${deliveries.size})`,
      });
      // Give any would-be second delivery a moment to show up before stopping.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      stop.abort();
      await Promise.all(consumers);
    }

    const duplicates = [...deliveries.values()].filter((count) => count > 1).length;
    const lost = Array.from({ length: JOBS }, (_, n) => `job-${n}`).filter(
      (id) => !deliveries.has(id),
    );
    console.log(
      `multi-instance: pushed ${JOBS}, delivered ${deliveries.size} (A ${perInstance[0]}, B ${perInstance[1]}), duplicates ${duplicates}, lost ${lost.length}`,
    );
    expect(duplicates).toBe(0);
    expect(lost).toEqual([]);
    expect(deliveries.size).toBe(JOBS);
    expect(retried).toBe(0);
    // Both instances' consumers took part.
    expect(Math.min(...perInstance)).toBeGreaterThan(0);
    expect(Object.fromEntries(finishes)).toEqual({ done: JOBS });

    const snapshot = await checkInvariants(instances[0].redis, prefix, SHARDS);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(0);
  });

  it("redelivers through instance B a job whose ttr ran out while reserved on A, which has no scheduler", async () => {
    const prefix = uniquePrefix("multi-ttr");
    const a = await open(prefix, { scheduler: false });
    const b = await open(prefix);
    await a.push({ topic: "ttr", id: "slow", body: "x", delayMs: 0, ttrMs: 600 });

    const first = await a.pop(["ttr"], { timeoutMs: 2_000 });
    expect(first).toMatchObject({ id: "slow", attempts: 1 });
    const reservedUntil = first?.reservedUntil ?? 0;
    expect(await a.get("slow")).toMatchObject({ state: "reserved", attempts: 1, reservedUntil });

    const second = await b.pop(["ttr"], { timeoutMs: 8_000 });
    const poppedAt = await redisNow(b.redis);
    expect(second).toMatchObject({ id: "slow", attempts: 2, body: Buffer.from("x") });
    expect(second?.token).not.toBe(first?.token);
    expect(poppedAt).toBeGreaterThanOrEqual(reservedUntil);

    // The first hand-out is over: its token no longer settles the job.
    expect(await a.finish("slow", first?.token)).toBe("not_reserved");
    expect(await a.get("slow")).toMatchObject({ state: "reserved", attempts: 2 });
    expect(await b.finish("slow", second?.token)).toBe("done");
    expect(await a.get("slow")).toBeNull();

    const snapshot = await checkInvariants(a.redis, prefix, SHARDS);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(0);
  });

  it("wakes a pop parked on the scheduler-less instance when the other instance promotes a delayed job", async () => {
    const prefix = uniquePrefix("multi-wake");
    const a = await open(prefix, { scheduler: false, recheckIntervalMs: 60_000 });
    await open(prefix);
    const { dueAt } = await a.push({
      topic: "later",
      id: "d1",
      body: "y",
      delayMs: 300,
      ttrMs: 30_000,
    });
    const started = performance.now();
    const job = await a.pop(["later"], { timeoutMs: 10_000 });
    const waited = performance.now() - started;
    expect(job).toMatchObject({ id: "d1", attempts: 1 });
    expect(await redisNow(a.redis)).toBeGreaterThanOrEqual(dueAt);
    // Woken by B's notification, not by the (disabled) re-check or the 10 s timeout.
    expect(waited).toBeLessThan(5_000);
    expect(await a.finish("d1", job?.token)).toBe("done");
  });

  it("keeps honouring new due times after joining a backlog another instance built", async () => {
    const prefix = uniquePrefix("multi-backlog");
    const producer = await open(prefix, { shards: 1, scheduler: false });
    await Promise.all(
      Array.from({ length: 2_000 }, (_, i) =>
        producer.push({ topic: "bulk", id: `bulk-${i}`, body: "x", delayMs: 1, ttrMs: 60_000 }),
      ),
    );
    // Joining, this instance's scheduler works through the backlog in 200 small batches;
    // a push meanwhile arms a 1 ms timer that fires while that run is still going.
    const queue = await open(prefix, { shards: 1, promoteBatch: 10 });
    await queue.push({ topic: "soon", id: "soon", body: "x", delayMs: 1, ttrMs: 60_000 });
    const { due } = shardKeys(prefix, 0);
    await waitUntil(async () => (await queue.redis.zcard(due)) === 0, {
      timeoutMs: 15_000,
      message: "backlog promoted",
    });

    await queue.push({ topic: "later", id: "later", body: "x", delayMs: 200, ttrMs: 60_000 });
    const job = await queue.pop(["later"], { timeoutMs: 3_000 });
    expect(job?.id, "a job due in 200 ms was never promoted").toBe("later");
  });
});
