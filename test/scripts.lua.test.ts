import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { shardKeys } from "../src/queue/keys.js";
import { defineScripts, readScripts } from "../src/queue/script-loader.js";
import { TurnWrites } from "../src/queue/turn-writes.js";
import { uniquePrefix, withRedis } from "./harness/index.js";
import { readPackedJob, unpackJob } from "./harness/packed-job.js";

// The scripts called by name, as ioredis defines them, with no engine around them.
type Call = (...args: (string | number)[]) => Promise<unknown>;
type Scripts = Record<
  | "dqPush"
  | "dqPushBatch"
  | "dqReserve"
  | "dqFinish"
  | "dqDelete"
  | "dqRelease"
  | "dqPromote"
  | "dqGet",
  Call
>;

const redis = withRedis();
let client: Redis;
let scripts: Scripts;

beforeAll(() => {
  client = redis.server.client();
  scripts = defineScripts(client, new TurnWrites(client)) as unknown as Scripts;
});

function fresh() {
  const prefix = uniquePrefix();
  const keys = shardKeys(prefix, 0);
  const channel = `${keys.base}notify`;
  const push = (id: string, topic: string, delay: number, ttr = 5000, ifAbsent = "0") =>
    scripts.dqPush(
      keys.jobs,
      keys.bodies,
      keys.due,
      keys.ready(topic),
      id,
      topic,
      `body-${id}`,
      delay,
      ttr,
      ifAbsent,
      channel,
      "me",
      0,
    );
  const reserve = (topics: string[], staleLimit = 100, max = 1) =>
    scripts.dqReserve(
      3 + topics.length,
      keys.jobs,
      keys.bodies,
      keys.due,
      ...topics.map(keys.ready),
      channel,
      "me",
      0,
      staleLimit,
      max,
    );
  const promote = (limit = 1000, ...demand: (string | number)[]) =>
    scripts.dqPromote(
      keys.jobs,
      keys.due,
      keys.bodies,
      keys.base,
      limit,
      channel,
      "me",
      0,
      100,
      ...demand,
    );
  const release = (id: string, token: string, delay = 0, undo = "0") =>
    scripts.dqRelease(keys.jobs, keys.due, id, token, delay, undo, keys.base, channel, "me", 0);
  const get = (id: string) => scripts.dqGet(keys.jobs, keys.bodies, keys.due, id);
  const packed = (id: string) => readPackedJob(client, prefix, id);
  return { keys, channel, push, reserve, promote, release, get, packed };
}

describe("Lua transitions", () => {
  it("every script file declares its KEYS and ARGV in a header", () => {
    for (const script of readScripts()) {
      expect(script.lua, script.name).toMatch(/Input:[\s\S]*KEYS\[1\][\s\S]*Output:/);
      expect(script.lua, script.name).not.toContain("@include");
    }
  });

  it("push reports creation, replacement and the only-if-absent refusal", async () => {
    const { push, keys, packed } = fresh();
    const [code, due, replaced] = (await push("a", "t", 0)) as number[];
    expect([code, replaced]).toEqual([0, 0]);
    expect((await packed("a"))?.due).toBe(due);
    expect(((await push("a", "t", 1000)) as number[])[2]).toBe(1);
    expect(await push("a", "t", 0, 5000, "1")).toEqual([-1]);
    expect(await client.zscore(keys.due, "a")).not.toBeNull();
  });

  it("reserve drops stale entries it meets and takes the live one", async () => {
    const { push, reserve, keys } = fresh();
    await push("a", "t", 0);
    await push("a", "t", 0); // the first entry of "a" is now stale
    await client.rpush(keys.ready("t"), "garbage-without-separator", "9:ghost");
    await push("b", "t", 0);
    const reply = (await reserve(["t"])) as unknown[];
    expect(reply.slice(0, 5)).toEqual([1, 0, 0, "a", "t"]);
    expect(((await reserve(["t"])) as unknown[])[3]).toBe("b");
    expect(await reserve(["t"])).toEqual([0, 0]);
    expect(await client.llen(keys.ready("t"))).toBe(0);
  });

  it("reserve yields after its stale limit so one call stays short", async () => {
    const { reserve, keys } = fresh();
    await client.rpush(keys.ready("t"), ...Array.from({ length: 5 }, (_, i) => `1:gone${i}`));
    expect(await reserve(["t"], 3)).toEqual([0, 1]);
    expect(await reserve(["t"], 3)).toEqual([0, 0]);
  });

  it("reserve honours topic order and reports which topic it served", async () => {
    const { push, reserve } = fresh();
    await push("low", "b", 0);
    await push("high", "a", 0);
    expect(((await reserve(["a", "b"])) as unknown[]).slice(0, 4)).toEqual([1, 0, 0, "high"]);
    expect(((await reserve(["a", "b"])) as unknown[]).slice(0, 4)).toEqual([1, 0, 1, "low"]);
  });

  it("reserve takes several jobs in one call, topic by topic, up to its count", async () => {
    const { push, reserve } = fresh();
    for (const id of ["a1", "a2"]) await push(id, "a", 0);
    for (const id of ["b1", "b2"]) await push(id, "b", 0);
    const reply = (await reserve(["a", "b"], 100, 3)) as unknown[];
    expect(reply.slice(0, 2)).toEqual([3, 0]);
    const taken = [0, 1, 2].map((n) => reply.slice(2 + n * 10, 2 + n * 10 + 3));
    expect(taken).toEqual([
      [0, "a1", "a"],
      [0, "a2", "a"],
      [1, "b1", "b"],
    ]);
    expect(((await reserve(["a", "b"], 100, 3)) as unknown[]).slice(0, 4)).toEqual([1, 0, 1, "b2"]);
  });

  it("push-batch writes each job as push does and reports refusals in place", async () => {
    const { push, reserve, keys, channel, packed } = fresh();
    await push("old", "t", 0);
    const reply = (await scripts.dqPushBatch(
      keys.jobs,
      keys.bodies,
      keys.due,
      keys.base,
      channel,
      "me",
      0,
      "n1",
      "t",
      "b1",
      0,
      5000,
      "0",
      "old",
      "t",
      "again",
      0,
      5000,
      "1",
      "n2",
      "u",
      "b2",
      60_000,
      5000,
      "0",
      "old",
      "u",
      "moved",
      0,
      5000,
      "0",
    )) as number[];
    expect(reply[2]).toBe(-1);
    expect([reply[1], reply[5], reply[7]]).toEqual([0, 0, 1]);
    expect(Number(reply[4]) - Number(reply[0])).toBe(60_000);
    expect((await packed("n2"))?.state).toBe(1);
    const old = await packed("old");
    expect([old?.topic, old?.body.toString(), old?.seq]).toEqual(["u", "moved", 2]);
    // "old" moved to topic u: its entry in t is stale, so t serves n1 only.
    const fromT = (await reserve(["t"], 100, 5)) as unknown[];
    expect(fromT.slice(0, 1)).toEqual([1]);
    expect(fromT[3]).toBe("n1");
  });

  it("push-batch without repeated ids writes what job-by-job pushes write, over many chunks", async () => {
    const one = fresh();
    const many = fresh();
    const big = "B".repeat(1500);
    // Jobs already there: ready, delayed, and one whose body lives in the bodies hash.
    for (const f of [one, many]) {
      await f.push("r0", "t", 0);
      await f.push("d0", "t", 60_000);
      await f.push("keep", "t", 60_000);
      await scripts.dqPush(
        f.keys.jobs,
        f.keys.bodies,
        f.keys.due,
        f.keys.ready("t"),
        "x0",
        "t",
        big,
        60_000,
        5000,
        "0",
        f.channel,
        "me",
        0,
      );
    }
    type Input = [string, string, string, number, number, string];
    const inputs: Input[] = [
      ["r0", "u", "now delayed", 30_000, 7000, "0"],
      ["d0", "t", "now ready", 0, 5000, "0"],
      ["x0", "t", "inline again", 0, 5000, "0"],
      ["r0x", "t", "refused?", 0, 5000, "1"],
      ["big1", "u", big, 45_000, 5000, "0"],
    ];
    // Enough jobs to cross every chunk (1,000 values per call), alternating ready and delayed.
    for (let i = 0; i < 2600; i++)
      inputs.push([`n${i}`, i % 3 ? "t" : "u", `b${i}`, i % 2 ? 0 : 1000 + i, 5000, "0"]);
    inputs.push(["keep", "t", "refused", 0, 5000, "1"]);
    const single: number[] = [];
    for (const [id, topic, body, delay, ttr, ifAbsent] of inputs) {
      const reply = (await scripts.dqPush(
        one.keys.jobs,
        one.keys.bodies,
        one.keys.due,
        one.keys.ready(topic),
        id,
        topic,
        body,
        delay,
        ttr,
        ifAbsent,
        one.channel,
        "me",
        0,
      )) as number[];
      single.push(reply[0] === -1 ? -1 : 1, reply[0] === -1 ? 0 : (reply[2] as number));
    }
    const batched = (await scripts.dqPushBatch(
      many.keys.jobs,
      many.keys.bodies,
      many.keys.due,
      many.keys.base,
      many.channel,
      "me",
      0,
      ...inputs.flat(),
    )) as number[];
    // Same refusals and replacements, job by job (due times differ: two runs, two clocks).
    expect(batched.map((v, i) => (i % 2 ? v : v === -1 ? -1 : 1))).toEqual(single);
    const dump = async (f: ReturnType<typeof fresh>) => {
      const jobs = await client.hgetallBuffer(f.keys.jobs);
      const byId = Object.fromEntries(
        Object.entries(jobs).map(([id, value]) => {
          const { due: _due, ...rest } = unpackJob(value);
          return [id, { ...rest, body: rest.body.toString() }];
        }),
      );
      return {
        jobs: byId,
        bodies: await client.hgetall(f.keys.bodies),
        due: (await client.zrange(f.keys.due, 0, -1)).sort(),
        readyT: await client.lrange(f.keys.ready("t"), 0, -1),
        readyU: await client.lrange(f.keys.ready("u"), 0, -1),
      };
    };
    const [a, b] = [await dump(one), await dump(many)];
    expect(Object.keys(b.jobs)).toHaveLength(2606);
    expect(batched.filter((v, i) => i % 2 === 0 && v === -1)).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it("promote moves only due jobs, in batches, and reports the next due time", async () => {
    const { push, promote, keys, packed } = fresh();
    for (let i = 0; i < 5; i++) await push(`x${i}`, "t", 60_000);
    for (let i = 0; i < 5; i++) await client.zadd(keys.due, 1, `x${i}`);
    const [, later] = (await push("later", "t", 60_000)) as number[];
    const first = (await promote(3)) as (number | string)[];
    expect(first.slice(1, 8)).toEqual([3, "1", 1, 2, "t", 3, 0]);
    const second = (await promote(3)) as (number | string)[];
    expect(second.slice(1, 4)).toEqual([2, String(later), 0]);
    expect(await client.llen(keys.ready("t"))).toBe(5);
    // Ready now, the job keeps the due time it was promoted at: its score.
    expect(await packed("x0")).toMatchObject({ state: 2, seq: 2, due: 1 });
  });

  it("promote reports Redis time to the µs, as text", async () => {
    const { promote } = fresh();
    const micros = async () => {
      const [seconds, us] = await client.time();
      return Number(seconds) * 1e6 + Number(us);
    };
    const before = await micros();
    const [now] = (await promote()) as string[];
    const after = await micros();
    expect(now).toMatch(/^\d{16}$/);
    expect(Number(now)).toBeGreaterThanOrEqual(before);
    expect(Number(now)).toBeLessThanOrEqual(after);
  });

  it("promote reserves what parked pops ask for, oldest first, and announces only the rest", async () => {
    const { push, promote, keys, packed } = fresh();
    await push("old", "t", 0);
    for (const id of ["a", "b", "c"]) await push(id, "t", 60_000);
    await push("u", "u", 60_000);
    for (const id of ["a", "b", "c", "u"]) await client.zadd(keys.due, 1, id);
    const reply = (await promote(1000, "t", 2, "none", 5)) as (number | string)[];
    // 4 moved. Of the 3 that "t" got, 2 were taken (its oldest ready jobs, "old" first):
    // 1 is news for others; "u" got its one.
    expect(reply.slice(1, 2)).toEqual([4]);
    expect(reply.slice(4, 9)).toEqual([4, "t", 1, "u", 1]);
    expect(reply[9]).toBe(2);
    const jobs = [reply.slice(10, 20), reply.slice(20, 30)];
    expect(jobs.map((j) => [j[0], j[1], j[2], j[4]])).toEqual([
      [0, "old", "t", 1],
      [0, "a", "t", 1],
    ]);
    expect(await packed("a")).toMatchObject({ state: 3, attempts: 1 });
    expect(Number(await client.zscore(keys.due, "a"))).toBe(jobs[1]?.[7]);
    expect(await client.lrange(keys.ready("t"), 0, -1)).toEqual(["2:b", "2:c"]);
    // The head of the due set is now a's reservation deadline.
    expect(reply[2]).toBe(String(jobs[0]?.[7]));
  });

  it("promote drops due entries whose job is gone", async () => {
    const { promote, keys } = fresh();
    await client.zadd(keys.due, 1, "ghost");
    expect(((await promote()) as unknown[]).slice(1, 3)).toEqual([0, "-1"]);
    expect(await client.zcard(keys.due)).toBe(0);
  });

  it("finish, release and delete answer with their codes", async () => {
    const { push, reserve, keys, release: releaseJob } = fresh();
    await push("a", "t", 0);
    const seq = String(((await reserve(["t"])) as unknown[])[11]);
    const finish = (token: string) =>
      scripts.dqFinish(keys.jobs, keys.bodies, keys.due, "a", token);
    const release = (token: string) => releaseJob("a", token);
    expect(await finish("999")).toBe(0);
    expect(await release("999")).toEqual([0]);
    expect(((await release(seq)) as unknown[]).slice(0, 2)).toEqual([1, "t"]);
    expect(await finish(seq)).toBe(0);
    await reserve(["t"]);
    expect(await finish("")).toBe(1);
    expect(await finish("")).toBe(-1);
    expect(await release("")).toEqual([-1]);
    await push("a", "t", 60_000);
    expect(await scripts.dqDelete(keys.jobs, keys.bodies, keys.due, "a")).toBe(1);
    expect(await scripts.dqDelete(keys.jobs, keys.bodies, keys.due, "a")).toBe(0);
    expect(await client.zcard(keys.due)).toBe(0);
    expect(await client.exists(keys.jobs)).toBe(0);
  });

  it("get reads every field in every state, due and deadline from the due set", async () => {
    const { push, reserve, release, get, keys } = fresh();
    expect(await get("a")).toBeNull();
    const [, due] = (await push("a", "t", 60_000, 86_400_000)) as number[];
    const delayed = (await get("a")) as unknown[];
    expect(delayed).toEqual([1, 0, 86_400_000, due, Number(due) - 60_000, -1, "t", "body-a"]);
    await client.zadd(keys.due, 5, "a"); // as if rescheduled: the score is the due time
    expect(((await get("a")) as unknown[]).slice(3, 5)).toEqual([5, 5 - 60_000]);
    await release("a", ""); // not reserved: refused, nothing changes
    await push("a", "t", 0, 2000);
    const ready = (await get("a")) as number[];
    expect(ready.slice(0, 3)).toEqual([2, 0, 2000]);
    expect(ready[3]).toBe(ready[4]);
    const taken = (await reserve(["t"])) as unknown[];
    const reserved = (await get("a")) as unknown[];
    expect(reserved).toEqual([3, 1, 2000, ready[3], ready[4], taken[9], "t", "body-a"]);
    expect(await client.zscore(keys.due, "a")).toBe(String(taken[9]));
  });

  it("packs a pending job with a 100-byte body into at most 124 bytes", async () => {
    const { keys } = fresh();
    const body = "x".repeat(100);
    await scripts.dqPush(
      ...[keys.jobs, keys.bodies, keys.due, keys.ready("bench-pending"), "s-0000000001"],
      "bench-pending",
      ...[body, 5_400_000, 60_000, "0", "c", "me", 0],
    );
    const value = (await client.hgetBuffer(keys.jobs, "s-0000000001")) as Buffer;
    // 124 bytes + a 3-byte sds header + NUL fill jemalloc's 128-byte class.
    expect(value.length).toBeLessThanOrEqual(124);
    expect(unpackJob(value)).toMatchObject({
      state: 1,
      attempts: 0,
      seq: 1,
      ttrMs: 60_000,
      lead: 5_400_000,
      topic: "bench-pending",
      due: undefined,
    });
    expect(unpackJob(value).body.toString()).toBe(body);
  });

  it("widens a packed number as it grows and keeps the others intact", async () => {
    const { push, reserve, release, packed, get } = fresh();
    for (let i = 0; i < 200; i++) await push("a", "t", 60_000, 300);
    const [, due] = (await push("a", "t", 0, 300)) as number[];
    let token = "";
    for (let i = 0; i < 70; i++) {
      const reply = (await reserve(["t"])) as unknown[];
      expect(reply[6]).toBe(i + 1); // attempts
      token = String(reply[11]);
      expect(((await release("a", token)) as unknown[])[0]).toBe(1);
    }
    const job = await packed("a");
    // Past 31 attempts and 255 sequences, both take two bytes.
    expect(job).toMatchObject({ state: 2, attempts: 70, seq: 271, ttrMs: 300, topic: "t" });
    // Released at once each time: due moved on, pushed-at did not.
    const [, , , dueNow, pushedAt] = (await get("a")) as number[];
    expect(dueNow).toBeGreaterThanOrEqual(Number(due));
    expect(pushedAt).toBe(Number(due));
    expect(job?.body.toString()).toBe("body-a");
  });

  it("keeps a body over 1 KiB out of the packed job, and drops it with the job", async () => {
    const { keys, reserve, release, promote, get, packed } = fresh();
    const push = (body: string, delay = 0) =>
      scripts.dqPush(
        keys.jobs,
        keys.bodies,
        keys.due,
        keys.ready("t"),
        "a",
        "t",
        body,
        delay,
        100,
        "0",
        "c",
        "me",
        0,
      );
    const big = "b".repeat(1025);
    await push(big);
    expect(await packed("a")).toMatchObject({ external: true, body: Buffer.alloc(0) });
    expect(await client.hget(keys.bodies, "a")).toBe(big);
    const taken = (await reserve(["t"])) as unknown[];
    expect(taken[5]).toBe(big);
    expect(((await get("a")) as unknown[])[7]).toBe(big);
    // Transitions rewrite the job, not the body.
    await release("a", String(taken[11]), 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(((await promote()) as unknown[])[1]).toBe(1);
    expect(await packed("a")).toMatchObject({ state: 2, external: true, seq: 3 });
    expect(await client.hget(keys.bodies, "a")).toBe(big);
    // Replaced by a short body: back in the packed job, gone from the bodies hash.
    await push("short", 60_000);
    expect(await packed("a")).toMatchObject({ external: false, body: Buffer.from("short") });
    expect(await client.hexists(keys.bodies, "a")).toBe(0);
    await push(big);
    expect(await scripts.dqFinish(keys.jobs, keys.bodies, keys.due, "a", "")).toBe(1);
    expect(await client.exists(keys.bodies, keys.jobs)).toBe(0);
    await push(big);
    expect(await scripts.dqDelete(keys.jobs, keys.bodies, keys.due, "a")).toBe(1);
    expect(await client.exists(keys.bodies, keys.jobs)).toBe(0);
  });

  it("announces ready topics and earlier due times on the channel", async () => {
    const { push, reserve, channel } = fresh();
    const listener = redis.server.client();
    const messages: string[] = [];
    listener.on("message", (_channel: string, message: string) => messages.push(message));
    await listener.subscribe(channel);
    await push("a", "t", 0);
    const [, due] = (await push("b", "t", 60_000)) as number[];
    await push("c", "t", 120_000); // not the earliest: no news
    await reserve(["t"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(messages[0]).toBe("r me t 1");
    expect(messages[1]).toBe(`d me 0 ${due}`);
    expect(messages[2]).toMatch(/^d me 0 \d+$/);
    expect(messages).toHaveLength(3);
  });
});
