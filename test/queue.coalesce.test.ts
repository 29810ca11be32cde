import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, JobExistsError } from "../src/index.js";
import { queueFactory, scriptCalls, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
const job = { topic: "mail", id: "j1", body: "hello", delayMs: 60_000, ttrMs: 5000 };

let admin: Redis | undefined;
afterAll(() => admin?.quit());

const scriptsRun = () => {
  admin ??= new Redis(redis.server.url);
  return scriptCalls(admin);
};

describe("pops made in the same turn", () => {
  it("share one reserve call per shard, each job handed to one pop only", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.pushMany(
      Array.from({ length: 30 }, (_, i) => ({ ...job, id: `p${i}`, delayMs: 0 })),
    );
    const before = await scriptsRun();
    const popped = await Promise.all([
      queue.popMany(["mail"], 5),
      ...Array.from({ length: 40 }, () => queue.pop(["mail"])),
    ]);
    expect(await scriptsRun()).toBe(before + 1);
    const [batch, ...singles] = popped as [unknown[], ...(unknown | null)[]];
    expect(batch).toHaveLength(5);
    const ids = [...(batch as { id: string }[]), ...(singles.filter(Boolean) as { id: string }[])]
      .map((j) => j.id)
      .sort();
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`).sort());
    // The first 25 single pops got one each, in call order; the rest found none.
    expect(singles.map((j) => j !== null)).toEqual(Array.from({ length: 40 }, (_, i) => i < 25));
  });
});

describe("finishes made in the same turn", () => {
  it("go as one script call per shard, each with its own result", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.pushMany(
      Array.from({ length: 4 }, (_, i) => ({ ...job, id: `f${i}`, delayMs: 0 })),
    );
    const [a, b, c] = await queue.popMany(["mail"], 3);
    if (!a || !b || !c) throw new Error("expected three jobs");
    const before = await scriptsRun();
    const results = await Promise.all([
      queue.finish(a.id, a.token),
      queue.finish(b.id, "999"),
      queue.finish("nobody"),
      queue.finish(c.id),
      queue.finish("f3"),
    ]);
    expect(await scriptsRun()).toBe(before + 1);
    expect(results).toEqual(["done", "not_reserved", "not_found", "done", "done"]);
    expect(await queue.get(a.id)).toBeNull();
    expect((await queue.get(b.id))?.state).toBe("reserved");
  });

  it("reach Redis before a push of the same id made after them", async () => {
    const queue = await openQueue();
    await queue.push(job);
    // The first push schedules the turn's push batch ahead of the finish batch.
    await Promise.all([
      queue.push({ ...job, id: "other" }),
      queue.finish("j1"),
      queue.push({ ...job, body: "again" }),
    ]);
    expect((await queue.get("j1"))?.body.toString()).toBe("again");
  });
});

describe("pushes made in the same turn", () => {
  it("go to Redis as one script call per shard, each caller getting its own result", async () => {
    const queue = await openQueue({ shards: 3, scheduler: false });
    const before = await scriptsRun();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => queue.push({ ...job, id: `c${i}`, delayMs: 1000 + i })),
    );
    expect(await scriptsRun()).toBeLessThanOrEqual(before + 3);
    for (const [i, result] of results.entries()) {
      const stored = await queue.get(`c${i}`);
      expect(stored?.dueAt).toBe(result.dueAt);
      expect((stored?.dueAt ?? 0) - (stored?.pushedAt ?? 0)).toBe(1000 + i);
      expect(result.replaced).toBe(false);
    }
  });

  it("apply in call order: a second push of an id replaces or is refused", async () => {
    const queue = await openQueue();
    const [first, second] = await Promise.all([
      queue.push({ ...job, body: "one" }),
      queue.push({ ...job, body: "two" }),
    ]);
    expect([first.replaced, second.replaced]).toEqual([false, true]);
    expect((await queue.get("j1"))?.body.toString()).toBe("two");

    const outcomes = await Promise.allSettled([
      queue.push({ ...job, id: "j2", body: "kept", ifAbsent: true }),
      queue.push({ ...job, id: "j2", body: "refused", ifAbsent: true }),
    ]);
    expect(outcomes[0].status).toBe("fulfilled");
    expect(outcomes[1].status === "rejected" && outcomes[1].reason).toBeInstanceOf(JobExistsError);
    expect((await queue.get("j2"))?.body.toString()).toBe("kept");
  });

  it("are not held back by a push that fails its checks", async () => {
    const queue = await openQueue();
    const outcomes = await Promise.allSettled([
      queue.push({ ...job, id: "ok1" }),
      queue.push({ ...job, id: "bad", ttrMs: -1 }),
      queue.push({ ...job, id: "ok2" }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(outcomes[1].status === "rejected" && outcomes[1].reason).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await queue.get("bad")).toBeNull();
    expect(await queue.get("ok2")).not.toBeNull();
  });

  it("reach Redis before any call made after them", async () => {
    const queue = await openQueue();
    await Promise.all([queue.push(job), queue.delete("j1")]);
    expect(await queue.get("j1")).toBeNull();
    await Promise.all([queue.delete("j1"), queue.push(job)]);
    expect(await queue.get("j1")).not.toBeNull();
    const [, popped] = await Promise.all([
      queue.push({ ...job, id: "now", delayMs: 0 }),
      queue.pop(["mail"]),
    ]);
    expect(popped?.id).toBe("now");
  });
});
