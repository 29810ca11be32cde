import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createDelayQueue, type DelayQueue, type ReservedJob } from "../src/queue/index.js";
import { killConnections } from "./harness/chaos.js";
import { drainUntil, runConsumers } from "./harness/consumers.js";
import { killEngineWorkers, spawnEngineWorker } from "./harness/engine-worker.js";
import { checkInvariants, uniquePrefix, withRedis } from "./harness/index.js";
import { redisNow } from "./harness/redis-time.js";
import { untilAnswered, waitUntil } from "./harness/wait.js";

const SHARDS = 3;

describe("crash safety", () => {
  const redis = withRedis();
  const opened: DelayQueue[] = [];

  async function open(prefix: string, recheckIntervalMs = 1_000): Promise<DelayQueue> {
    const queue = await createDelayQueue({
      connection: redis.server.url,
      prefix,
      shards: SHARDS,
      recheckIntervalMs,
    });
    opened.push(queue);
    return queue;
  }

  afterEach(async () => {
    await killEngineWorkers();
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
  });

  it("loses no acknowledged push when engine processes are SIGKILLed under load", async () => {
    const prefix = uniquePrefix("crash");
    const topic = "crash";
    const concurrency = 4;
    const pushed = new Set<string>();
    const finished = new Map<string, number>();
    const inFlight = new Set<string>();
    const handOuts = new Map<string, number[]>();
    for (let cycle = 0; cycle < 3; cycle++) {
      const worker = spawnEngineWorker({
        url: redis.server.url,
        prefix,
        shards: SHARDS,
        mode: "mixed",
        topic,
        idPrefix: `c${cycle}-`,
        ttrMs: 2_000,
        concurrency,
      });
      const target = 200 + 100 * cycle;
      await worker.waitFor((lines) => lines.filter((l) => l.startsWith("P ")).length >= target);
      await worker.kill();
      const record = worker.record();
      for (const id of record.pushed) pushed.add(id);
      for (const id of record.finished) finished.set(id, (finished.get(id) ?? 0) + 1);
      for (const { id, attempts } of record.reserved) {
        handOuts.set(id, [...(handOuts.get(id) ?? []), attempts]);
      }
      // Popped but not settled when the kill came: at most one per consumer loop.
      expect(record.inHand.length).toBeLessThanOrEqual(concurrency);
      for (const id of record.inHand) inFlight.add(id);
    }

    // No engine runs now, so the snapshot cannot race a promote.
    const reader = redis.server.client();
    const snapshot = await checkInvariants(reader, prefix, SHARDS);
    reader.disconnect();
    expect(snapshot.violations).toEqual([]);
    const lost = [...pushed].filter(
      (id) => !snapshot.jobs.has(id) && !finished.has(id) && !inFlight.has(id),
    );
    const duplicates = [...finished.values()].filter((count) => count > 1).length;
    const outOfOrder = [...handOuts.values()].filter((a) =>
      a.some((n, i) => i > 0 && n <= (a[i - 1] ?? 0)),
    );
    console.log(
      `crash a: pushed ${pushed.size}, delivered ${handOuts.size}, finished ${finished.size}, in hand at kill ${inFlight.size}, duplicates ${duplicates}, lost ${lost.length}, left ${snapshot.jobs.size}`,
    );
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    expect(outOfOrder).toEqual([]);
    expect([...finished.keys()].filter((id) => snapshot.jobs.has(id))).toEqual([]);

    // A fresh engine hands out each job left behind exactly once, reservations after their ttr.
    const queue = await open(prefix);
    const before = new Map<string, number>();
    for (const id of snapshot.jobs.keys()) before.set(id, (await queue.get(id))?.attempts ?? -1);
    const seen = await drainUntil(
      queue,
      [topic],
      (s) => new Set(s.map((j) => j.id)).size >= before.size,
    );
    const ids = seen.map((job) => job.id);
    console.log(
      `crash a drain: left ${before.size}, delivered ${new Set(ids).size}, duplicates ${ids.length - new Set(ids).size}`,
    );
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(before.keys()));
    for (const job of seen) expect(job.attempts).toBe((before.get(job.id) ?? 0) + 1);
    const after = await checkInvariants(queue.redis, prefix, SHARDS);
    expect(after.violations).toEqual([]);
    expect(after.jobs.size).toBe(0);
  });

  it("recovers from connections killed during push, pop, finish, delete, release and promote", async () => {
    const prefix = uniquePrefix("chaos");
    const topic = "chaos";
    const queue = await open(prefix, 200);
    const admin = redis.server.client();
    const acked = new Set<string>();
    const delayed = new Set<string>();
    const gone = new Set<string>();
    const popped = new Map<string, number>();
    const ok = { push: 0, pop: 0, finish: 0, delete: 0, release: 0, promoted: 0 };
    let failures = 0;
    const settle = <T>(call: () => Promise<T>) => untilAnswered(call, { timeoutMs: 15_000 });

    const onJob = async (queue: DelayQueue, job: ReservedJob, finishOnly: boolean) => {
      ok.pop++;
      popped.set(job.id, (popped.get(job.id) ?? 0) + 1);
      if (delayed.has(job.id) && job.attempts === 1) ok.promoted++;
      // Mostly finish; a fifth each delete and release (first hand-outs only, so all end).
      const pick = finishOnly || job.attempts > 1 ? 0 : Math.random();
      if (pick >= 0.8) {
        await settle(() => queue.delete(job.id));
        gone.add(job.id);
        ok.delete++;
      } else if (pick >= 0.6) {
        const delayMs = pick >= 0.7 ? 50 : 0;
        await settle(() => queue.release(job.id, { token: job.token, delayMs }));
        ok.release++;
      } else {
        const result = await settle(() => queue.finish(job.id, job.token));
        // not_found: an earlier try of this very finish (maybe resent by ioredis) removed it.
        if (result !== "not_reserved") gone.add(job.id);
        ok.finish++;
      }
    };
    const consume = (on: DelayQueue, signal: AbortSignal, finishOnly: boolean) =>
      runConsumers(on, {
        topics: [topic],
        concurrency: 8,
        timeoutMs: 300,
        signal,
        onJob: (job) => onJob(on, job, finishOnly),
        onError: async () => {
          failures++;
          await sleep(10);
        },
      });

    const chaos = new AbortController();
    const consumers = consume(queue, chaos.signal, false);
    let n = 0;
    const pushLoop = async () => {
      while (!chaos.signal.aborted) {
        const id = `x-${n++}`;
        const delayMs = Math.random() < 0.5 ? 0 : 1 + Math.floor(Math.random() * 300);
        if (delayMs > 0) delayed.add(id);
        try {
          await queue.push({ topic, id, body: id, delayMs, ttrMs: 2_000 });
          acked.add(id);
          ok.push++;
        } catch {
          failures++;
        }
        await sleep(5);
      }
    };
    const killing = killConnections(queue, admin, chaos.signal);
    const pushing = Array.from({ length: 3 }, pushLoop);
    await sleep(4_000);
    chaos.abort();
    const { kills, closes } = await killing;
    await Promise.all([...pushing, consumers]);

    // Back on its feet: a round trip works.
    await untilAnswered(() => queue.redis.ping());
    await queue.push({ topic: "after", id: "after-1", body: "ok", delayMs: 0, ttrMs: 1_000 });
    const job = await queue.pop(["after"], { timeoutMs: 2_000 });
    expect(job?.id).toBe("after-1");
    expect(await queue.finish("after-1", job?.token)).toBe("done");
    // With no engine running (no promote racing the scan), every job sits in exactly one structure.
    await queue.close();
    const snapshot = await checkInvariants(admin, prefix, SHARDS);
    expect(snapshot.violations).toEqual([]);
    const missing = [...acked].filter((id) => !snapshot.jobs.has(id) && !gone.has(id));
    expect(missing).toEqual([]);

    // Drain with a fresh engine: reservations whose reply was lost come back after their ttr.
    const drainer = await open(prefix, 200);
    const drainStop = new AbortController();
    const draining = consume(drainer, drainStop.signal, true);
    const left = async () => (await checkInvariants(admin, prefix, SHARDS)).jobs.size === 0;
    await waitUntil(left, { timeoutMs: 15_000, intervalMs: 200, message: "queue drained" });
    drainStop.abort();
    await draining;

    const final = await checkInvariants(admin, prefix, SHARDS);
    const lost = [...acked].filter((id) => !gone.has(id));
    const again = [...popped.values()].filter((count) => count > 1).length;
    console.log(
      `crash b: pushed ${acked.size}, delivered ${popped.size}, duplicates ${again} (handed out again after release/ttr), lost ${lost.length}; kills ${kills}, closes ${closes}, rejected calls ${failures}, ok ${JSON.stringify(ok)}`,
    );
    expect(final.violations).toEqual([]);
    expect(final.jobs.size).toBe(0);
    expect(lost).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(closes).toBeGreaterThanOrEqual(10);
    for (const count of Object.values(ok)) expect(count).toBeGreaterThan(0);
  });

  it("hands jobs held by a consumer process that died back out after their ttr, with attempts + 1", async () => {
    const prefix = uniquePrefix("held");
    const queue = await open(prefix);
    const count = 20;
    for (let i = 0; i < count; i++) {
      await queue.push({ topic: "held", id: `h-${i}`, body: `b${i}`, delayMs: 0, ttrMs: 3_000 });
    }
    const worker = spawnEngineWorker({
      url: redis.server.url,
      prefix,
      shards: SHARDS,
      mode: "hold",
      topic: "held",
      hold: count,
      concurrency: 2,
    });
    await worker.waitFor((lines) => lines.includes("done"));
    const held = worker.record().reserved;
    expect(held.map((r) => r.attempts)).toEqual(Array(count).fill(1));
    const until = new Map<string, number>();
    for (const { id } of held) {
      const job = await queue.get(id);
      expect(job).toMatchObject({ state: "reserved", attempts: 1 });
      until.set(id, job?.reservedUntil ?? 0);
    }
    await worker.kill();

    if ((await redisNow(queue.redis)) < Math.min(...until.values()) - 100) {
      expect(await queue.pop(["held"])).toBeNull();
    }
    const tokens = new Map(held.map((r) => [r.id, r.token]));
    const seen: ReservedJob[] = [];
    while (seen.length < count) {
      const job = await queue.pop(["held"], { timeoutMs: 10_000 });
      if (!job) break;
      seen.push(job);
      // The dead consumer's hand-out is over: its token settles nothing.
      expect(await queue.finish(job.id, tokens.get(job.id))).toBe("not_reserved");
      expect(await queue.finish(job.id, job.token)).toBe("done");
    }
    expect(await queue.pop(["held"], { timeoutMs: 300 })).toBeNull();
    expect(new Set(seen.map((job) => job.id))).toEqual(new Set(until.keys()));
    expect(seen).toHaveLength(count);
    for (const job of seen) {
      expect(job.attempts).toBe(2);
      // Handed out again no earlier than the reservation ran out (both on the Redis clock).
      expect(job.reservedUntil - job.ttrMs).toBeGreaterThanOrEqual(until.get(job.id) ?? 0);
    }
    const snapshot = await checkInvariants(queue.redis, prefix, SHARDS);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(0);
  });
});
