import { describe, expect, it } from "vitest";
import type { ReservedJob } from "../src/queue/types.js";
import { WaiterRegistry } from "../src/queue/waiters.js";

const job = (id: string): ReservedJob =>
  ({ id, topic: "t", body: Buffer.from(""), token: "1" }) as ReservedJob;

describe("the waiter registry's demand", () => {
  it("counts single-topic waiters done looking, as they start and stop waiting", () => {
    const registry = new WaiterRegistry();
    const a = registry.add(["t"], 3);
    const b = registry.add(["t"]);
    const several = registry.add(["t", "u"]);
    // Still looking: nobody counts yet.
    expect([...registry.demand()]).toEqual([]);
    registry.looked(a);
    registry.looked(b);
    registry.looked(several);
    expect([...registry.demand()]).toEqual([["t", 4]]);
    // Woken by news, oldest first: a leaves the demand.
    registry.wake("t", 1);
    expect([...registry.demand()]).toEqual([["t", 1]]);
    // b and the waiter on several topics are woken; c, still looking, enters only when done.
    const c = registry.add(["t"]);
    registry.wake("t", 2);
    expect([...registry.demand()]).toEqual([]);
    registry.looked(c);
    expect([...registry.demand()]).toEqual([["t", 1]]);
    // Woken while looking, a waiter never enters it.
    const d = registry.add(["t"]);
    registry.wake("t", 2);
    registry.looked(d);
    expect([...registry.demand()]).toEqual([]);
  });

  it("drops a waiter handed jobs, and one that leaves", () => {
    const registry = new WaiterRegistry();
    const a = registry.add(["t"], 2);
    const b = registry.add(["t"]);
    registry.looked(a);
    registry.looked(b);
    expect(registry.deliver("t", [job("1")])).toEqual([]);
    expect(a.delivered?.map((j) => j.id)).toEqual(["1"]);
    expect([...registry.demand()]).toEqual([["t", 1]]);
    registry.remove(b);
    registry.remove(b);
    expect([...registry.demand()]).toEqual([]);
    expect(registry.deliver("t", [job("2")]).map((j) => j.id)).toEqual(["2"]);
  });
});
