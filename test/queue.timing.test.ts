import { describe, expect, it, vi } from "vitest";
import type { ReservedJob } from "../src/index.js";
import { notifyChannel } from "../src/queue/keys.js";
import { JobStore } from "../src/queue/store.js";
import { queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
// Bounds fit for a loaded 2-core CI box; the p99 target lives in bench/.
const lateBy = 50;

describe("timing", () => {
  it("never hands a job out before its delay and hands it out within 50 ms after", async () => {
    const queue = await openQueue();
    const delays = [5, 20, 50, 120, 250, 400, 650, 900];
    const pushed = new Map<string, { sent: number; acked: number; delay: number }>();
    const received = new Map<string, number>();
    const consumers = Array.from({ length: 3 }, async () => {
      while (received.size < delays.length * 3) {
        const job = await queue.pop(["tick"], { timeoutMs: 2000 });
        if (!job) continue;
        received.set(job.id, performance.now());
        await queue.finish(job.id, job.token);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(
      delays.flatMap((delay) =>
        [0, 1, 2].map(async (n) => {
          const id = `${delay}-${n}`;
          const sent = performance.now();
          await queue.push({ topic: "tick", id, body: "", delayMs: delay, ttrMs: 10_000 });
          pushed.set(id, { sent, acked: performance.now(), delay });
        }),
      ),
    );
    await Promise.all(consumers);
    for (const [id, { sent, acked, delay }] of pushed) {
      const at = received.get(id) ?? Number.NaN;
      expect(at - sent, `${id} early`).toBeGreaterThanOrEqual(delay);
      expect(at - acked - delay, `${id} late`).toBeLessThanOrEqual(lateBy);
    }
  });

  it("fires a delayed job to a pop parked in another engine on time", async () => {
    const consumer = await openQueue({ scheduler: false });
    const producer = await openQueue({ prefix: consumer.prefix });
    const waiting = consumer.pop(["tick"], { timeoutMs: 5000 });
    const sent = performance.now();
    await producer.push({ topic: "tick", id: "x", body: "", delayMs: 300, ttrMs: 1000 });
    const acked = performance.now();
    expect(await waiting).not.toBeNull();
    const at = performance.now();
    expect(at - sent).toBeGreaterThanOrEqual(300);
    expect(at - acked - 300).toBeLessThanOrEqual(lateBy);
  });

  it("hands a job out again with attempts + 1 when its ttr runs out", async () => {
    const queue = await openQueue();
    await queue.push({ topic: "work", id: "slow", body: "b", delayMs: 0, ttrMs: 200 });
    const first = (await queue.pop(["work"])) as ReservedJob;
    expect(first.attempts).toBe(1);
    const reservedAt = performance.now();
    const second = await queue.pop(["work"], { timeoutMs: 3000 });
    const after = performance.now() - reservedAt;
    expect(second).toMatchObject({ id: "slow", attempts: 2 });
    expect(second?.token).not.toBe(first.token);
    expect(after).toBeGreaterThanOrEqual(195);
    expect(after).toBeLessThanOrEqual(200 + lateBy);
    const third = await queue.pop(["work"], { timeoutMs: 3000 });
    expect(third?.attempts).toBe(3);
  });

  it("does not hand a job out again once it is finished within its ttr", async () => {
    const queue = await openQueue();
    await queue.push({ topic: "work", id: "quick", body: "b", delayMs: 0, ttrMs: 150 });
    const job = (await queue.pop(["work"])) as ReservedJob;
    expect(await queue.finish(job.id, job.token)).toBe("done");
    expect(await queue.pop(["work"], { timeoutMs: 500 })).toBeNull();
    expect(await queue.get("quick")).toBeNull();
  });

  it("never hands a job to a second consumer within its ttr", async () => {
    const queue = await openQueue();
    await queue.push({ topic: "work", id: "held", body: "b", delayMs: 0, ttrMs: 600 });
    const first = (await queue.pop(["work"])) as ReservedJob;
    const others = await Promise.all(
      Array.from({ length: 4 }, () => queue.pop(["work"], { timeoutMs: 400 })),
    );
    expect(others).toEqual([null, null, null, null]);
    expect((await queue.get("held"))?.reservedUntil).toBe(first.reservedUntil);
  });

  it("brings a job back on time when its pop took jobs over several reserve calls", async () => {
    // The scheduler learns of a reservation from the pop that made it; no periodic wake-up helps.
    const queue = await openQueue({ shards: 1, maxSchedulerSleepMs: 60_000 });
    await queue.push({ topic: "split", id: "short", body: "", delayMs: 0, ttrMs: 300 });
    // More stale entries between the two jobs than one reserve call drops (200).
    const stale = Array.from({ length: 250 }, (_, i) => `stale-${i}`);
    for (const id of stale)
      await queue.push({ topic: "split", id, body: "", delayMs: 0, ttrMs: 1000 });
    for (const id of stale) await queue.delete(id);
    await queue.push({ topic: "split", id: "long", body: "", delayMs: 0, ttrMs: 60_000 });
    const taken = await queue.popMany(["split"], 2, { timeoutMs: 0 });
    expect(taken.map((job) => job.id)).toEqual(["short", "long"]);
    const reservedAt = performance.now();
    const again = await queue.pop(["split"], { timeoutMs: 3000 });
    expect(again).toMatchObject({ id: "short", attempts: 2 });
    expect(performance.now() - reservedAt).toBeLessThanOrEqual(300 + lateBy);
  });

  it("promotes only once something is due: a timer that fires early waits out the rest", async () => {
    const queue = await openQueue({ shards: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const promote = vi.spyOn(JobStore.prototype, "promote");
    try {
      // Due 3 ms apart: one timer each. Node may fire a timer up to 1 ms before its time,
      // which would have promoted nothing (about one in ten, here), then armed another.
      const count = 150;
      await queue.pushMany(
        Array.from({ length: count }, (_, i) => ({
          topic: "tick",
          id: `t${i}`,
          body: "",
          delayMs: 100 + 3 * i,
          ttrMs: 60_000,
        })),
      );
      let got = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (got < count) {
            const job = await queue.pop(["tick"], { timeoutMs: 300 });
            if (job) got++;
          }
        }),
      );
      // Other tests' engines promote too: only this one's calls count.
      const ours = promote.mock.results.filter(
        (_, i) => (promote.mock.contexts[i] as JobStore).channel === notifyChannel(queue.prefix),
      );
      const runs = await Promise.all(ours.map((result) => result.value));
      const empty = runs.filter((run) => run.moved === 0 && run.reserved.length === 0);
      expect(runs.length).toBeGreaterThan(0);
      expect(empty.length).toBeLessThanOrEqual(1);
    } finally {
      promote.mockRestore();
    }
  });
});
