import { describe, expect, it } from "vitest";
import { CallAbort } from "../src/server/call-abort.js";
import { queueFactory, withRedis } from "./harness/index.js";

const redis = withRedis();
const openQueue = queueFactory(redis);

describe("CallAbort", () => {
  it("runs each listener once, with the reason set, and not those removed", () => {
    const abort = new CallAbort();
    const heard: string[] = [];
    const kept = () => heard.push(`kept ${String(abort.reason)}`);
    const removed = () => heard.push("removed");
    abort.signal.addEventListener("abort", kept);
    abort.signal.addEventListener("abort", removed);
    abort.signal.removeEventListener("abort", removed);
    expect(abort.signal.aborted).toBe(false);
    abort.abort("gone");
    abort.abort("again");
    expect(abort.signal.aborted).toBe(true);
    expect(heard).toEqual(["kept gone"]);
  });

  it("ends a parked pop with null, and the job stays for the next pop", async () => {
    const queue = await openQueue({ shards: 1 });
    const abort = new CallAbort();
    const parked = queue.pop(["t"], { timeoutMs: 10_000, signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queue.waiting).toBe(1);
    abort.abort(new Error("client left"));
    expect(await parked).toBeNull();
    await queue.push({ topic: "t", id: "a1", body: "x", delayMs: 0, ttrMs: 5000 });
    expect((await queue.pop(["t"]))?.id).toBe("a1");
  });

  it("stops a pop before it parks when already aborted", async () => {
    const queue = await openQueue({ shards: 1 });
    const abort = new CallAbort();
    abort.abort(new Error("client left"));
    const started = performance.now();
    expect(await queue.pop(["t"], { timeoutMs: 5_000, signal: abort.signal })).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
