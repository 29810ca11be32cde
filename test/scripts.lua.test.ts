import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { shardKeys } from "../src/queue/keys.js";
import { defineScripts, readScripts } from "../src/queue/script-loader.js";
import { uniquePrefix, withRedis } from "./harness/index.js";

// The scripts called by name, as ioredis defines them, with no engine around them.
type Call = (...args: (string | number)[]) => Promise<unknown>;
type Scripts = Record<
  "dqPush" | "dqPushBatch" | "dqReserve" | "dqFinish" | "dqDelete" | "dqRelease" | "dqPromote",
  Call
>;

const redis = withRedis();
let client: Redis;
let scripts: Scripts;

beforeAll(() => {
  client = redis.server.client();
  defineScripts(client);
  scripts = client as unknown as Scripts;
});

function fresh() {
  const keys = shardKeys(uniquePrefix(), 0);
  const channel = `${keys.base}notify`;
  const push = (id: string, topic: string, delay: number, ttr = 5000, ifAbsent = "0") =>
    scripts.dqPush(
      keys.job(id),
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
      1 + topics.length,
      keys.due,
      ...topics.map(keys.ready),
      keys.base,
      channel,
      "me",
      0,
      staleLimit,
      max,
    );
  const promote = (limit = 1000) => scripts.dqPromote(keys.due, keys.base, limit, channel, "me");
  return { keys, channel, push, reserve, promote };
}

describe("Lua transitions", () => {
  it("every script file declares its KEYS and ARGV in a header", () => {
    for (const script of readScripts()) {
      expect(script.lua, script.name).toMatch(/Input:[\s\S]*KEYS\[1\][\s\S]*Output:/);
      expect(script.lua, script.name).not.toContain("@include");
    }
  });

  it("push reports creation, replacement and the only-if-absent refusal", async () => {
    const { push, keys } = fresh();
    const [code, due, replaced] = (await push("a", "t", 0)) as number[];
    expect([code, replaced]).toEqual([0, 0]);
    expect(await client.hget(keys.job("a"), "d")).toBe(String(due));
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
    const { push, reserve, keys, channel } = fresh();
    await push("old", "t", 0);
    const reply = (await scripts.dqPushBatch(
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
    expect(await client.hget(keys.job("n2"), "s")).toBe("1");
    expect(await client.hmget(keys.job("old"), "t", "b")).toEqual(["u", "moved"]);
    // "old" moved to topic u: its entry in t is stale, so t serves n1 only.
    const fromT = (await reserve(["t"], 100, 5)) as unknown[];
    expect(fromT.slice(0, 1)).toEqual([1]);
    expect(fromT[3]).toBe("n1");
  });

  it("promote moves only due jobs, in batches, and reports the next due time", async () => {
    const { push, promote, keys } = fresh();
    for (let i = 0; i < 5; i++) await client.zadd(keys.due, 1, `x${i}`);
    for (let i = 0; i < 5; i++) await client.hset(keys.job(`x${i}`), "t", "t", "s", "1", "q", 1);
    const [, later] = (await push("later", "t", 60_000)) as number[];
    const first = (await promote(3)) as (number | string)[];
    expect(first.slice(1, 6)).toEqual([3, "1", 1, "t", 3]);
    const second = (await promote(3)) as (number | string)[];
    expect(second.slice(1, 4)).toEqual([2, String(later), 0]);
    expect(await client.llen(keys.ready("t"))).toBe(5);
    expect(await client.hget(keys.job("x0"), "s")).toBe("2");
  });

  it("promote drops due entries whose job is gone", async () => {
    const { promote, keys } = fresh();
    await client.zadd(keys.due, 1, "ghost");
    expect(((await promote()) as unknown[]).slice(1, 3)).toEqual([0, "-1"]);
    expect(await client.zcard(keys.due)).toBe(0);
  });

  it("finish, release and delete answer with their codes", async () => {
    const { push, reserve, keys } = fresh();
    await push("a", "t", 0);
    const seq = String(((await reserve(["t"])) as unknown[])[11]);
    const finish = (token: string) => scripts.dqFinish(keys.job("a"), keys.due, "a", token);
    const release = (token: string) =>
      scripts.dqRelease(keys.job("a"), keys.due, "a", token, 0, "0", keys.base, "c", "me", 0);
    expect(await finish("999")).toBe(0);
    expect(await release("999")).toEqual([0]);
    expect(((await release(seq)) as unknown[]).slice(0, 2)).toEqual([1, "t"]);
    expect(await finish(seq)).toBe(0);
    await reserve(["t"]);
    expect(await finish("")).toBe(1);
    expect(await finish("")).toBe(-1);
    expect(await release("")).toEqual([-1]);
    await push("a", "t", 60_000);
    expect(await scripts.dqDelete(keys.job("a"), keys.due, "a")).toBe(1);
    expect(await scripts.dqDelete(keys.job("a"), keys.due, "a")).toBe(0);
    expect(await client.zcard(keys.due)).toBe(0);
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
