import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import {
  Code,
  ConnectError,
  consume,
  createClient,
  type DelayQueueClient,
  type Job,
} from "../sdk/index.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis);

let client: DelayQueueClient;
let topic: string;
beforeEach(() => {
  client = createClient({ baseUrl: dq.url });
  topic = `consume.${randomBytes(4).toString("hex")}`;
});

/** Pushes `count` ready jobs with ids `<topic>:0…`, ten at a time; returns the ids. */
async function pushMany(count: number, ttr = 30): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${topic}:${i}`);
  for (let i = 0; i < ids.length; i += 10) {
    await Promise.all(ids.slice(i, i + 10).map((id) => client.push({ topic, id, body: id, ttr })));
  }
  return ids;
}

describe("consume", () => {
  it("handles 200 jobs with concurrency 8 exactly once each and leaves the queue empty", async () => {
    const ids = await pushMany(200);
    const calls = new Map<string, number>();
    let running = 0;
    let mostRunning = 0;
    const errors: unknown[] = [];
    const consumer = consume(client, {
      topics: [topic],
      concurrency: 8,
      pollTimeout: 1,
      onError: (error) => errors.push(error),
      async handler(job) {
        calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
        mostRunning = Math.max(mostRunning, ++running);
        await sleep(Math.random() * 10);
        running--;
      },
    });
    await waitUntil(() => calls.size === 200, { timeoutMs: 30_000, message: "200 handled" });
    await sleep(300); // room for a stray second hand-out to show
    await consumer.stop();
    await consumer.done;

    expect(errors).toEqual([]);
    expect([...calls.keys()].sort()).toEqual([...ids].sort());
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(mostRunning).toBeGreaterThan(1);
    expect(mostRunning).toBeLessThanOrEqual(8);
    expect(await client.pop({ topics: [topic], timeout: 0 })).toBeUndefined();
    const left = await Promise.all(ids.map((id) => client.get({ id })));
    expect(left.filter((job) => job !== undefined)).toEqual([]);
  });

  it("releases a failing handler's job, which comes back at once and then succeeds", async () => {
    const [id] = await pushMany(1, 60);
    const attempts: number[] = [];
    const errors: [unknown, Job | undefined][] = [];
    const started = performance.now();
    const consumer = consume(client, {
      topics: [topic],
      onError: (error, job) => errors.push([error, job]),
      async handler(job) {
        attempts.push(job.attempts);
        if (job.attempts === 1) throw new Error("first try fails");
      },
    });
    await waitUntil(() => attempts.length === 2, { message: "handled twice" });
    await consumer.stop();

    // Released, not left to its 60 s ttr.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(attempts).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toEqual(new Error("first try fails"));
    expect(errors[0]?.[1]).toMatchObject({ id, attempts: 1 });
    expect(await client.get({ id: id ?? "" })).toBeUndefined();
  });

  it("stop() during work waits for running handlers, finishes their jobs and loses nothing", async () => {
    const ids = await pushMany(20);
    const started: string[] = [];
    const ended: string[] = [];
    const consumer = consume(client, {
      topics: [topic],
      concurrency: 4,
      async handler(job) {
        started.push(job.id);
        await sleep(300);
        ended.push(job.id);
      },
    });
    await waitUntil(() => started.length === 4, { message: "4 handlers running" });
    await consumer.stop();

    // stop() resolved only after every running handler ended; none started after it.
    expect(ended.sort()).toEqual(started.sort());
    expect(started).toHaveLength(4);
    await expect(consumer.done).resolves.toBeUndefined();
    // Their jobs are finished, not left to come back; the other 16 wait, untouched.
    for (const id of started) expect(await client.get({ id })).toBeUndefined();
    const rest = ids.filter((id) => !started.includes(id));
    for (const id of rest) {
      expect(await client.get({ id })).toMatchObject({ state: "ready", attempts: 0 });
    }
    const popped = new Set<string>();
    let job = await client.pop({ topics: [topic] });
    while (job) {
      popped.add(job.id);
      job = await client.pop({ topics: [topic] });
    }
    expect([...popped].sort()).toEqual(rest.sort());
  });

  it("stop() is prompt while pops are parked, and the cancelled pops take nothing", async () => {
    const consumer = consume(client, { topics: [topic], concurrency: 3, handler: () => {} });
    await waitUntil(() => dq.server.queue.waiting >= 3, { message: "pops parked" });
    const started = performance.now();
    await consumer.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    await waitUntil(() => dq.server.queue.waiting === 0, { message: "pops unparked" });
    const [id] = await pushMany(1);
    expect(await client.pop({ topics: [topic], timeout: 1 })).toMatchObject({ id, attempts: 1 });
  });

  it("gives a handler a signal that aborts when the job's ttr runs out", async () => {
    await pushMany(1, 0.3);
    const reasons: unknown[] = [];
    const consumer = consume(client, {
      topics: [topic],
      onError: () => {},
      async handler(job, { signal }) {
        if (job.attempts > 1) return;
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
        reasons.push(signal.reason);
      },
    });
    await waitUntil(() => reasons.length === 1, { message: "signal aborted" });
    await consumer.stop();
    expect(reasons[0]).toMatchObject({ code: Code.DeadlineExceeded });
  });

  it("backs off between failing pops and reports each failure", async () => {
    const down = createClient({ baseUrl: "http://127.0.0.1:1" });
    const failures: number[] = [];
    const errors: unknown[] = [];
    const consumer = consume(down, {
      topics: [topic],
      handler: () => {},
      backoff: { initialMs: 20, maxMs: 160 },
      onError: (error) => {
        errors.push(error);
        failures.push(performance.now());
      },
    });
    await sleep(1000);
    await consumer.stop();
    await consumer.done;
    expect(errors.every((e) => e instanceof ConnectError && e.code === Code.Unavailable)).toBe(
      true,
    );
    const gaps = failures.slice(1).map((t, i) => t - (failures[i] ?? t));
    // 10, 20, 40, 80, 80, … ms at least (jitter halves at most): a handful, not hundreds.
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(failures.length).toBeLessThan(25);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(80);
  });

  it("ends with done rejecting when a pop fails for good, e.g. a bad topic", async () => {
    const consumer = consume(client, { topics: ["not a topic"], handler: () => {} });
    await expect(consumer.done).rejects.toMatchObject({ code: Code.InvalidArgument });
    await consumer.stop();
  });
});
