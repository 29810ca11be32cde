import { describe, expect, it } from "vitest";
import { InvalidArgumentError, JobExistsError } from "../src/index.js";
import { checkInvariants, queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
const job = { topic: "mail", id: "j1", body: "hello", delayMs: 0, ttrMs: 5000 };

describe("push", () => {
  it("creates a ready job when the delay is 0", async () => {
    const queue = await openQueue();
    const result = await queue.push(job);
    expect(result.replaced).toBe(false);
    const stored = await queue.get("j1");
    expect(stored).toMatchObject({ id: "j1", topic: "mail", state: "ready", attempts: 0 });
    expect(stored?.body.toString()).toBe("hello");
    expect(stored?.dueAt).toBe(result.dueAt);
    expect(stored?.reservedUntil).toBeUndefined();
  });

  it("creates a delayed job due delay ms after the push", async () => {
    const queue = await openQueue();
    const result = await queue.push({ ...job, delayMs: 60_000 });
    const stored = await queue.get("j1");
    expect(stored?.state).toBe("delayed");
    expect(stored?.dueAt).toBe(result.dueAt);
    expect(result.dueAt - (stored?.pushedAt ?? 0)).toBe(60_000);
  });

  it("replaces an existing job with the same id: new topic, body, delay and ttr", async () => {
    const queue = await openQueue();
    await queue.push(job);
    expect(await queue.pop(["mail"])).not.toBeNull();
    const result = await queue.push({
      ...job,
      topic: "sms",
      body: "again",
      delayMs: 0,
      ttrMs: 700,
    });
    expect(result.replaced).toBe(true);
    expect(await queue.get("j1")).toMatchObject({
      topic: "sms",
      state: "ready",
      attempts: 0,
      ttrMs: 700,
    });
    expect(await queue.pop(["mail"])).toBeNull();
    const popped = await queue.pop(["sms"]);
    expect(popped?.body.toString()).toBe("again");
  });

  it("reschedules a ready job when pushed again with a delay, leaving no live ready entry", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.push(job);
    await queue.push({ ...job, delayMs: 60_000 });
    expect((await queue.get("j1"))?.state).toBe("delayed");
    expect(await queue.pop(["mail"])).toBeNull();
  });

  it("hands out a job pushed twice while ready only once", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.push(job);
    await queue.push({ ...job, body: "second" });
    const first = await queue.pop(["mail"]);
    expect(first?.body.toString()).toBe("second");
    expect(await queue.pop(["mail"])).toBeNull();
  });

  it("refuses an existing id in only-if-absent mode and keeps the job as it was", async () => {
    const queue = await openQueue();
    await queue.push(job);
    await expect(queue.push({ ...job, body: "other", ifAbsent: true })).rejects.toBeInstanceOf(
      JobExistsError,
    );
    expect((await queue.get("j1"))?.body.toString()).toBe("hello");
    await expect(queue.push({ ...job, id: "j2", ifAbsent: true })).resolves.toMatchObject({
      replaced: false,
    });
  });

  it("keeps binary bodies byte for byte", async () => {
    const queue = await openQueue();
    const body = Buffer.from([0, 255, 10, 13, 0xc3, 0x28, 1]);
    await queue.push({ ...job, body });
    expect((await queue.pop(["mail"]))?.body.equals(body)).toBe(true);
  });

  it("accepts the boundaries of every limit", async () => {
    const queue = await openQueue();
    const max = queue.limits;
    await queue.push({ ...job, id: "d0", delayMs: 0 });
    await queue.push({ ...job, id: "dmax", delayMs: (2 ** 31 - 1) * 1000 });
    await queue.push({ ...job, id: "t1", ttrMs: 1000 });
    await queue.push({ ...job, id: "tmax", ttrMs: 86_400_000 });
    await queue.push({ ...job, id: "x".repeat(256) });
    await queue.push({ ...job, id: "é".repeat(128) });
    await queue.push({ ...job, id: "topic", topic: "a".repeat(128) });
    await queue.push({ ...job, id: "chars", topic: "Az09._:-" });
    await queue.push({ ...job, id: "big", body: Buffer.alloc(max.maxBodyBytes) });
    await queue.push({ ...job, id: "empty", body: "" });
    const far = await queue.get("dmax");
    expect(far?.state).toBe("delayed");
    expect((far?.dueAt ?? 0) - (far?.pushedAt ?? 0)).toBe((2 ** 31 - 1) * 1000);
    expect((await queue.get("big"))?.body.length).toBe(max.maxBodyBytes);
    expect((await queue.get("tmax"))?.ttrMs).toBe(86_400_000);
    // The 1 MiB body lives out of its packed job; the layout still adds up.
    expect((await checkInvariants(queue.redis, queue.prefix, queue.shards)).violations).toEqual([]);
  });

  const rejected: [string, Record<string, unknown>, string][] = [
    ["a negative delay", { delayMs: -1 }, "delay"],
    ["a delay past 2^31-1 s", { delayMs: (2 ** 31 - 1) * 1000 + 1 }, "delay"],
    ["a fractional delay", { delayMs: 1.5 }, "delay"],
    ["a delay that is not a number", { delayMs: "10" }, "delay"],
    ["a ttr of 0", { ttrMs: 0 }, "ttr"],
    ["a ttr past 86400 s", { ttrMs: 86_400_001 }, "ttr"],
    ["a body over the limit", { body: Buffer.alloc(1024 * 1024 + 1) }, "body"],
    ["a body that is neither text nor bytes", { body: 42 }, "body"],
    ["an empty topic", { topic: "" }, "topic"],
    ["a topic with a space", { topic: "a b" }, "topic"],
    ["a topic with a comma", { topic: "a,b" }, "topic"],
    ["a topic with a brace", { topic: "a{b}" }, "topic"],
    ["a topic of 129 characters", { topic: "a".repeat(129) }, "topic"],
    ["an empty id", { id: "" }, "id"],
    ["an id of 257 bytes", { id: "x".repeat(257) }, "id"],
    ["an id of 129 two-byte characters", { id: "é".repeat(129) }, "id"],
    ["an id that is not a string", { id: 7 }, "id"],
  ];
  for (const [what, change, field] of rejected) {
    it(`rejects ${what} without writing anything`, async () => {
      const queue = await openQueue();
      const attempt = queue.push({ ...job, id: "bad", ...change } as typeof job);
      await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(attempt).rejects.toMatchObject({ field });
      expect(await queue.redis.keys(`{${queue.prefix}:*`)).toEqual([]);
    });
  }

  it("leaves every job in exactly one state structure", async () => {
    const queue = await openQueue({ shards: 3, scheduler: false });
    for (let i = 0; i < 60; i++) {
      await queue.push({ ...job, id: `j${i}`, delayMs: i % 3 === 0 ? 0 : 60_000 });
    }
    for (let i = 0; i < 60; i += 5) await queue.push({ ...job, id: `j${i}`, topic: "other" });
    for (let i = 0; i < 10; i++) await queue.pop(["mail", "other"]);
    const snapshot = await checkInvariants(queue.redis, queue.prefix, 3);
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.jobs.size).toBe(60);
  });
});
