import { describe, expect, it } from "vitest";
import { InvalidArgumentError, QueueClosedError } from "../src/index.js";
import { checkInvariants, queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
const job = { topic: "mail", id: "j1", body: "hello", delayMs: 0, ttrMs: 60_000 };

describe("pop", () => {
  it("reserves a ready job and counts the attempt", async () => {
    const queue = await openQueue();
    await queue.push(job);
    const popped = await queue.pop(["mail"]);
    expect(popped).toMatchObject({ id: "j1", topic: "mail", state: "reserved", attempts: 1 });
    const stored = await queue.get("j1");
    expect(stored?.state).toBe("reserved");
    expect(stored?.reservedUntil).toBe(popped?.reservedUntil);
    expect((popped?.reservedUntil ?? 0) - Date.now()).toBeGreaterThan(55_000);
  });

  it("hands out the oldest ready job of a topic first", async () => {
    const queue = await openQueue({ shards: 1 });
    for (const id of ["a", "b", "c"]) await queue.push({ ...job, id });
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await queue.pop(["mail"]))?.id);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("prefers topics in the order given, across shards", async () => {
    const queue = await openQueue({ shards: 4 });
    for (let i = 0; i < 8; i++) await queue.push({ ...job, id: `low${i}`, topic: "low" });
    for (let i = 0; i < 3; i++) await queue.push({ ...job, id: `high${i}`, topic: "high" });
    const topics = [];
    for (let i = 0; i < 11; i++) topics.push((await queue.pop(["high", "low"]))?.topic);
    expect(topics).toEqual([...Array(3).fill("high"), ...Array(8).fill("low")]);
  });

  it("returns null at once with no timeout and nothing ready", async () => {
    const queue = await openQueue();
    await queue.push({ ...job, delayMs: 60_000 });
    const started = performance.now();
    expect(await queue.pop(["mail"])).toBeNull();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("waits up to its timeout and then returns null", async () => {
    const queue = await openQueue();
    const started = performance.now();
    expect(await queue.pop(["mail"], { timeoutMs: 300 })).toBeNull();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(295);
    expect(waited).toBeLessThan(1500);
    expect(queue.waiting).toBe(0);
  });

  it("is woken by a push from another engine on the same Redis", async () => {
    const consumer = await openQueue();
    const producer = await openQueue({ prefix: consumer.prefix });
    const waiting = consumer.pop(["mail"], { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pushedAt = performance.now();
    await producer.push(job);
    const popped = await waiting;
    expect(popped?.id).toBe("j1");
    expect(performance.now() - pushedAt).toBeLessThan(500);
  });

  it("keeps waiting when the job it was woken for is deleted first", async () => {
    const queue = await openQueue({ shards: 1 });
    const other = await openQueue({ prefix: queue.prefix, shards: 1 });
    const waiting = queue.pop(["mail"], { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Push and delete in one pipeline from another process: the news arrives, the job is gone.
    await Promise.all([other.push({ ...job, id: "gone" }), other.delete("gone")]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await other.push({ ...job, id: "kept" });
    expect((await waiting)?.id).toBe("kept");
  });

  it("takes no job when its AbortSignal fires during the wait", async () => {
    const queue = await openQueue();
    const controller = new AbortController();
    const waiting = queue.pop(["mail"], { timeoutMs: 10_000, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await waiting).toBeNull();
    await queue.push(job);
    expect((await queue.get("j1"))?.state).toBe("ready");
    expect(queue.waiting).toBe(0);
  });

  it("gives back a job reserved while its AbortSignal fired, uncounted and first in line", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.push({ ...job, id: "first" });
    await queue.push({ ...job, id: "second" });
    const controller = new AbortController();
    const popping = queue.pop(["mail"], { timeoutMs: 1000, signal: controller.signal });
    controller.abort();
    expect(await popping).toBeNull();
    expect(await queue.get("first")).toMatchObject({ state: "ready", attempts: 0 });
    expect((await queue.pop(["mail"]))?.id).toBe("first");
    const snapshot = await checkInvariants(queue.redis, queue.prefix, 1);
    expect(snapshot.violations).toEqual([]);
  });

  it("rejects bad topic lists and timeouts", async () => {
    const queue = await openQueue();
    await expect(queue.pop([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(queue.pop(["a b"])).rejects.toMatchObject({ field: "topic" });
    await expect(queue.pop(["mail"], { timeoutMs: -1 })).rejects.toMatchObject({
      field: "timeout",
    });
    await expect(queue.pop(["mail"], { timeoutMs: 180_001 })).rejects.toMatchObject({
      field: "timeout",
    });
  });

  it("ends parked pops with null on close and refuses calls after it", async () => {
    const queue = await openQueue();
    const waiting = queue.pop(["mail"], { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await queue.close();
    expect(await waiting).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(queue.push(job)).rejects.toBeInstanceOf(QueueClosedError);
    await queue.close();
  });
});

describe("finish, release and delete", () => {
  it("finish removes a reserved job and is idempotent", async () => {
    const queue = await openQueue();
    await queue.push(job);
    const popped = await queue.pop(["mail"]);
    expect(await queue.finish("j1", popped?.token)).toBe("done");
    expect(await queue.get("j1")).toBeNull();
    expect(await queue.finish("j1", popped?.token)).toBe("not_found");
  });

  it("finish with a token leaves a job alone that was pushed again while reserved", async () => {
    const queue = await openQueue();
    await queue.push(job);
    const popped = await queue.pop(["mail"]);
    await queue.push({ ...job, delayMs: 60_000 });
    expect(await queue.finish("j1", popped?.token)).toBe("not_reserved");
    expect((await queue.get("j1"))?.state).toBe("delayed");
  });

  it("finish without a token removes the job whatever its state, as the Go service does", async () => {
    const queue = await openQueue({ scheduler: false });
    await queue.push(job);
    expect(await queue.finish("j1")).toBe("done");
    await queue.push({ ...job, delayMs: 60_000 });
    expect(await queue.finish("j1")).toBe("done");
    expect(await queue.get("j1")).toBeNull();
    expect(await queue.pop(["mail"])).toBeNull();
  });

  it("finish with an old hand-out's token leaves the newer hand-out alone", async () => {
    const queue = await openQueue();
    await queue.push(job);
    const first = await queue.pop(["mail"]);
    expect(await queue.release("j1", { token: first?.token })).toBe("done");
    const second = await queue.pop(["mail"]);
    expect(second?.attempts).toBe(2);
    expect(await queue.finish("j1", first?.token)).toBe("not_reserved");
    expect(await queue.finish("j1", second?.token)).toBe("done");
  });

  it("release with a delay makes the job delayed again", async () => {
    const queue = await openQueue();
    await queue.push(job);
    await queue.pop(["mail"]);
    expect(await queue.release("j1", { delayMs: 60_000 })).toBe("done");
    expect(await queue.get("j1")).toMatchObject({ state: "delayed", attempts: 1 });
    expect(await queue.release("j1")).toBe("not_reserved");
    expect(await queue.release("nope")).toBe("not_found");
  });

  it("delete removes a job in any state and is idempotent", async () => {
    const queue = await openQueue({ scheduler: false });
    await queue.push({ ...job, id: "delayed", delayMs: 60_000 });
    await queue.push({ ...job, id: "ready" });
    await queue.push({ ...job, id: "reserved" });
    await queue.pop(["mail"]);
    for (const id of ["delayed", "ready", "reserved"]) {
      expect(await queue.delete(id)).toBe(true);
      expect(await queue.get(id)).toBeNull();
      expect(await queue.delete(id)).toBe(false);
    }
    expect(await queue.pop(["mail"])).toBeNull();
    expect((await checkInvariants(queue.redis, queue.prefix, queue.shards)).jobs.size).toBe(0);
  });
});
