import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/index.js";
import { checkInvariants, queueFactory, scriptCalls, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
const job = (id: string, extra: Record<string, unknown> = {}) => ({
  topic: "bulk",
  id,
  body: `body-${id}`,
  delayMs: 0,
  ttrMs: 60_000,
  ...extra,
});

let admin: Redis | undefined;
afterAll(() => admin?.quit());
const scriptsRun = () => {
  admin ??= new Redis(redis.server.url);
  return scriptCalls(admin);
};

describe("batch push and pop", () => {
  it("pushes a batch across shards and reports each job in input order", async () => {
    const queue = await openQueue({ shards: 3 });
    await queue.push(job("taken"));
    const inputs = Array.from({ length: 1200 }, (_, i) =>
      job(`j${i}`, { delayMs: i % 2 ? 60_000 : 0 }),
    );
    inputs.push(job("taken", { ifAbsent: true }));
    const results = await queue.pushMany(inputs);
    expect(results).toHaveLength(1201);
    expect(results.at(-1)).toMatchObject({ refused: true });
    expect(results.slice(0, 1200).every((r) => !r.refused && !r.replaced)).toBe(true);
    expect((results[1]?.dueAt ?? 0) - (results[0]?.dueAt ?? 0)).toBeGreaterThanOrEqual(59_000);
    expect(await queue.get("j1")).toMatchObject({ state: "delayed", body: Buffer.from("body-j1") });
    expect((await queue.get("j0"))?.state).toBe("ready");
    const snapshot = await checkInvariants(queue.redis, queue.prefix, 3);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(1201);
  });

  it("rejects the whole batch, writing nothing, when one job is invalid", async () => {
    const queue = await openQueue();
    const attempt = queue.pushMany([job("ok"), job("bad", { topic: "no spaces" })]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(attempt).rejects.toMatchObject({ field: "jobs[1].topic" });
    await expect(queue.pushMany([])).rejects.toMatchObject({ field: "jobs" });
    expect(await queue.get("ok")).toBeNull();
  });

  it("pops up to max jobs at once, oldest first, each reserved once", async () => {
    const queue = await openQueue({ shards: 3 });
    await queue.pushMany(Array.from({ length: 25 }, (_, i) => job(`p${i}`)));
    const first = await queue.popMany(["bulk"], 10);
    const second = await queue.popMany(["bulk"], 100);
    expect(first).toHaveLength(10);
    expect(second).toHaveLength(15);
    const ids = new Set([...first, ...second].map((j) => j.id));
    expect(ids.size).toBe(25);
    expect([...first, ...second].every((j) => j.state === "reserved" && j.attempts === 1)).toBe(
      true,
    );
    expect(await queue.popMany(["bulk"], 5)).toEqual([]);
  });

  it("wakes a parked batch pop when a batch push brings jobs", async () => {
    const consumer = await openQueue();
    const producer = await openQueue({ prefix: consumer.prefix });
    const waiting = consumer.popMany(["bulk"], 50, { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await producer.pushMany(Array.from({ length: 5 }, (_, i) => job(`w${i}`)));
    const jobs = await waiting;
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("rejects a max outside 1 … maxBatchJobs", async () => {
    const queue = await openQueue();
    await expect(queue.popMany(["bulk"], 0)).rejects.toMatchObject({ field: "max" });
    await expect(queue.popMany(["bulk"], 10_001)).rejects.toMatchObject({ field: "max" });
  });
});

describe("batch finish", () => {
  it("finishes popped jobs across shards in few script calls, each result in input order", async () => {
    const queue = await openQueue({ shards: 3, scheduler: false });
    await queue.pushMany(Array.from({ length: 1200 }, (_, i) => job(`f${i}`)));
    const popped = await queue.popMany(["bulk"], 1200);
    expect(popped).toHaveLength(1200);
    const before = await scriptsRun();
    const results = await queue.finishMany(popped.map(({ id, token }) => ({ id, token })));
    // 1200 jobs over 3 shards, at most 500 per finish-batch call.
    expect(await scriptsRun()).toBeLessThanOrEqual(before + 6);
    expect(results).toEqual(popped.map(() => "done"));
    const snapshot = await checkInvariants(queue.redis, queue.prefix, 3);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(0);
    expect(await queue.finishMany(popped.slice(0, 3))).toEqual([
      "not_found",
      "not_found",
      "not_found",
    ]);
  });

  it("reports each job as finish would: a wrong token leaves the job reserved", async () => {
    const queue = await openQueue();
    await queue.pushMany([job("a"), job("b"), job("c")]);
    const [a, b] = await queue.popMany(["bulk"], 2);
    if (!a || !b) throw new Error("expected two jobs");
    const results = await queue.finishMany([
      { id: a.id, token: a.token },
      { id: b.id, token: "999" },
      { id: "nobody" },
      { id: "c" },
    ]);
    expect(results).toEqual(["done", "not_reserved", "not_found", "done"]);
    expect((await queue.get(b.id))?.state).toBe("reserved");
    expect(await queue.get("c")).toBeNull();
  });

  it("finishes nothing when one id is invalid, naming its index", async () => {
    const queue = await openQueue();
    await queue.pushMany([job("keep")]);
    await queue.popMany(["bulk"], 1);
    const attempt = queue.finishMany([{ id: "keep" }, { id: "x".repeat(257) }]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(attempt).rejects.toMatchObject({ field: "jobs[1].id" });
    expect((await queue.get("keep"))?.state).toBe("reserved");
  });

  it("answers an empty list with no results and refuses more than maxBatchJobs", async () => {
    const queue = await openQueue({ limits: { maxBatchJobs: 10 } });
    expect(await queue.finishMany([])).toEqual([]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ id: `n${i}` }));
    await expect(queue.finishMany(tooMany)).rejects.toMatchObject({ field: "jobs" });
  });
});
