import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { Handoff } from "../src/queue/handoff.js";
import { notifyChannel } from "../src/queue/keys.js";
import { shardOf } from "../src/queue/shard.js";
import { JobStore } from "../src/queue/store.js";
import { WaiterRegistry } from "../src/queue/waiters.js";
import { queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);
const clients: Redis[] = [];
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const client = () => {
  const c = new Redis(redis.server.url);
  clients.push(c);
  return c;
};

/** Every "ready" announcement on the queue's channel from now on. */
async function watchReadyNews(prefix: string): Promise<string[]> {
  const news: string[] = [];
  const sub = client();
  await sub.subscribe(notifyChannel(prefix));
  sub.on("message", (_channel, message: string) => {
    if (message.startsWith("r ")) news.push(message);
  });
  return news;
}

describe("jobs reserved by the scheduler for parked pops", () => {
  it("reach the parked pop from the promote call, announced to nobody else", async () => {
    const queue = await openQueue({ shards: 1 });
    const readyNews = await watchReadyNews(queue.prefix);
    const popping = queue.pop(["mail"], { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const pushed = await queue.push({
      topic: "mail",
      id: "m1",
      body: "b",
      delayMs: 100,
      ttrMs: 9000,
    });
    const job = await popping;
    expect(job).toMatchObject({ id: "m1", attempts: 1, dueAt: pushed.dueAt });
    expect(queue.waiting).toBe(0);
    expect((await queue.get("m1"))?.state).toBe("reserved");
    // A ready announcement would have woken other processes' pops for a job already taken.
    expect(readyNews).toEqual([]);
    expect(await queue.finish("m1", job?.token)).toBe("done");
  });

  it("hand a job back, first in line and its attempt undone, when its pop has gone", async () => {
    const queue = await openQueue({ shards: 1 });
    await queue.push({ topic: "mail", id: "m1", body: "b", delayMs: 0, ttrMs: 9000 });
    await queue.push({ topic: "mail", id: "m2", body: "b", delayMs: 0, ttrMs: 9000 });
    const taken = await queue.pop(["mail"]);
    if (!taken) throw new Error("no job to hand back");
    expect(taken.id).toBe("m1");
    const store = new JobStore(client(), {
      prefix: queue.prefix,
      shards: 1,
      origin: "test",
      staleLimit: 100,
    });
    // No pop is parked any more: the job goes back.
    new Handoff(store, new WaiterRegistry(), pino({ level: "silent" })).deliver([taken], 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await queue.get("m1")).toMatchObject({ state: "ready", attempts: 0 });
    expect((await queue.pop(["mail"]))?.id).toBe("m1");
  });

  it("go to several parked pops, each at most its max", async () => {
    const queue = await openQueue({ shards: 2 });
    const single = queue.pop(["t"], { timeoutMs: 5000 });
    const batch = queue.popMany(["t"], 3, { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await queue.pushMany(
      Array.from({ length: 6 }, (_, i) => ({
        topic: "t",
        id: `j${i}`,
        body: "",
        delayMs: 50,
        ttrMs: 9000,
      })),
    );
    const [one, many] = await Promise.all([single, batch]);
    expect(one).not.toBeNull();
    expect(many.length).toBeGreaterThanOrEqual(1);
    expect(many.length).toBeLessThanOrEqual(3);
    const ids = new Set([one?.id, ...many.map((j) => j.id)]);
    expect(ids.size).toBe(1 + many.length);
    // Whatever the pops did not take is there for the next ones (the other shard may
    // promote a moment later).
    let rest = 0;
    const until = Date.now() + 3000;
    while (rest + 1 + many.length < 6 && Date.now() < until) {
      rest += (await queue.popMany(["t"], 10, { timeoutMs: 500 })).length;
    }
    expect(rest + 1 + many.length).toBe(6);
  });
  it("reach pops from every shard's promote call when the shards promote at once", async () => {
    const queue = await openQueue({ shards: 3 });
    const readyNews = await watchReadyNews(queue.prefix);
    const pops = Array.from({ length: 30 }, () => queue.pop(["mail"], { timeoutMs: 5000 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Two jobs in each shard, all due in the same ms: the three promote calls go out together.
    const ids: string[] = [];
    for (let i = 0; ids.length < 6; i++) {
      const id = `m${i}`;
      if (ids.filter((other) => shardOf(other, 3) === shardOf(id, 3)).length < 2) ids.push(id);
    }
    await queue.pushMany(
      ids.map((id) => ({ topic: "mail", id, body: "", delayMs: 100, ttrMs: 9000 })),
    );
    const taken: string[] = [];
    for (const pop of pops) {
      const job = await Promise.race([pop, new Promise((resolve) => setTimeout(resolve, 400))]);
      if (job && typeof job === "object" && "id" in job) taken.push(String(job.id));
      if (taken.length === ids.length) break;
    }
    expect(taken.sort()).toEqual([...ids].sort());
    // Had one run claimed every waiter, the others would have announced their jobs instead.
    expect(readyNews).toEqual([]);
    await queue.close();
  });
});
