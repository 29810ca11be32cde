import { describe, expect, it } from "vitest";
import { queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);

const job = (id: string, ifAbsent = false) => ({
  topic: "counts",
  id,
  body: "b",
  delayMs: 0,
  ttrMs: 60_000,
  ...(ifAbsent ? { ifAbsent } : {}),
});

describe("the engine's job counts", () => {
  it("count what each call did, not what it was asked", async () => {
    const queue = await openQueue();
    expect(queue.counts).toEqual({ pushed: 0, popped: 0, finished: 0, released: 0 });

    await queue.push(job("a"));
    // b and c are new, a is refused as existing: two written.
    await queue.pushMany([job("b"), job("c"), job("a", true)]);
    expect(queue.counts.pushed).toBe(3);

    const first = await queue.pop(["counts"]);
    const rest = await queue.popMany(["counts"], 10);
    expect(await queue.pop(["counts"])).toBeNull();
    expect(queue.counts.popped).toBe(3);

    expect(await queue.release(first?.id ?? "", { token: first?.token })).toBe("done");
    // A second release of the same hand-out does nothing.
    expect(await queue.release(first?.id ?? "", { token: first?.token })).not.toBe("done");
    expect(queue.counts.released).toBe(1);

    const again = await queue.pop(["counts"]);
    expect(await queue.finish(again?.id ?? "", again?.token)).toBe("done");
    const results = await queue.finishMany([
      ...rest.map((j) => ({ id: j.id, token: j.token })),
      { id: "never-pushed" },
    ]);
    expect(results.filter((r) => r === "done")).toHaveLength(2);
    expect(queue.counts).toEqual({ pushed: 3, popped: 4, finished: 3, released: 1 });
  });
});
