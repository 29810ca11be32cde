import { describe, expect, it } from "vitest";
import { InFlight } from "../src/queue/in-flight.js";
import { queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);

describe("close", () => {
  it("waits for calls in flight to settle before it resolves", async () => {
    const queue = await openQueue();
    const pushes = Array.from({ length: 50 }, (_, i) =>
      queue.push({ topic: "close", id: `c${i}`, body: "x", delayMs: 0, ttrMs: 60_000 }),
    );
    let settled = 0;
    for (const push of pushes) void push.then(() => settled++);
    await queue.close();
    expect(settled).toBe(50);
  });

  it("releases a parked pop with no job and then resolves", async () => {
    const queue = await openQueue();
    const parked = queue.pop(["close-empty"], { timeoutMs: 30_000 });
    const started = Date.now();
    await queue.close();
    expect(await parked).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("InFlight", () => {
  it("settles at once with nothing counted, and once the last counted promise settles", async () => {
    const calls = new InFlight();
    await calls.settled();
    let release: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    calls.add(new Promise<void>((resolve) => (release = resolve)));
    calls.add(new Promise<void>((_, reject) => (fail = reject)).catch(() => {}));
    let done = false;
    const waiting = calls.settled().then(() => (done = true));
    release?.();
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    fail?.(new Error("x"));
    await waiting;
    expect(done).toBe(true);
    await calls.settled();
  });
});
