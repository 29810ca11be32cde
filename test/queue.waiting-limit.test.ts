import { describe, expect, it } from "vitest";
import { type QueueError, TooManyWaitingPopsError } from "../src/queue/index.js";
import { withRedis } from "./harness/index.js";
import { queueFactory } from "./harness/queue.js";

describe("the cap on concurrent long-polls (limits.maxWaitingPops)", () => {
  const redis = withRedis();
  const open = queueFactory(redis);

  it("refuses a long-poll past the cap with resource_exhausted, at once and without parking it", async () => {
    const queue = await open({ limits: { maxWaitingPops: 3 } });
    const stop = new AbortController();
    const parked = [1, 2, 3].map(() =>
      queue.pop(["idle"], { timeoutMs: 10_000, signal: stop.signal }),
    );
    expect(queue.longPolls).toBe(3);

    const started = performance.now();
    const refused = await queue.pop(["idle"], { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(refused).toBeInstanceOf(TooManyWaitingPopsError);
    expect((refused as QueueError).kind).toBe("resource_exhausted");
    expect((refused as Error).message).toBe(
      "too many pops are waiting in this process (limit 3): retry later",
    );
    expect(queue.waiting).toBe(3);
    expect(queue.longPolls).toBe(3);

    stop.abort();
    expect(await Promise.all(parked)).toEqual([null, null, null]);
    expect(queue.longPolls).toBe(0);
  });

  it("still hands out a job that is ready at once, and still answers a pop that does not wait", async () => {
    const queue = await open({ limits: { maxWaitingPops: 1 } });
    const stop = new AbortController();
    const parked = queue.pop(["idle"], { timeoutMs: 10_000, signal: stop.signal });
    await queue.push({ topic: "busy", id: "ready-now", body: "x", delayMs: 0, ttrMs: 30_000 });

    const job = await queue.pop(["busy"], { timeoutMs: 10_000 });
    expect(job?.id).toBe("ready-now");
    expect(await queue.pop(["busy"])).toBeNull();
    await expect(queue.pop(["busy"], { timeoutMs: 10_000 })).rejects.toThrow(
      TooManyWaitingPopsError,
    );

    stop.abort();
    expect(await parked).toBeNull();
  });

  it("takes long-polls again once one ends", async () => {
    const queue = await open({ limits: { maxWaitingPops: 2 } });
    const first = queue.pop(["t"], { timeoutMs: 200 });
    const second = queue.pop(["t"], { timeoutMs: 5_000 });
    await expect(queue.pop(["t"], { timeoutMs: 5_000 })).rejects.toThrow(TooManyWaitingPopsError);
    expect(await first).toBeNull();

    const third = queue.pop(["t"], { timeoutMs: 5_000 });
    await queue.push({ topic: "t", id: "a", body: "x", delayMs: 0, ttrMs: 30_000 });
    await queue.push({ topic: "t", id: "b", body: "x", delayMs: 0, ttrMs: 30_000 });
    const ids = (await Promise.all([second, third])).map((job) => job?.id).sort();
    expect(ids).toEqual(["a", "b"]);
    expect(queue.longPolls).toBe(0);
  });

  it("defaults to 10 000", async () => {
    const queue = await open();
    expect(queue.limits.maxWaitingPops).toBe(10_000);
  });
});
