import { describe, expect, it } from "vitest";
import { gcBetween, gcNote, parseGc, readServerGc } from "../bench/lib/server-gc.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const histogram = (kind: string, counts: number[], count: number, sum: number) =>
  [
    ...[0.001, 0.01, 0.02, 0.05].map(
      (le, i) => `nodejs_gc_duration_seconds_bucket{le="${le}",kind="${kind}"} ${counts[i]}`,
    ),
    `nodejs_gc_duration_seconds_bucket{le="+Inf",kind="${kind}"} ${count}`,
    `nodejs_gc_duration_seconds_sum{kind="${kind}"} ${sum}`,
    `nodejs_gc_duration_seconds_count{kind="${kind}"} ${count}`,
  ].join("\n");

describe("bench server-gc", () => {
  it("reads the server's GC histogram from its /metrics", async () => {
    // The test server shares this process, so garbage made here shows as its scavenges.
    const junk: number[][] = [];
    for (let i = 0; i < 20_000; i++) junk.push(new Array(64).fill(i));
    expect(junk.length).toBe(20_000);
    junk.length = 0;
    // GC entries reach the observer after the collection, not during it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const snapshot = await readServerGc(dq.url);
    expect(snapshot?.get("minor")?.count).toBeGreaterThan(0);
    expect(snapshot?.get("minor")?.buckets.get(Infinity)).toBe(snapshot?.get("minor")?.count);
  });

  it("tells how many full GCs a window had, how long, and the bucket that holds the longest", () => {
    const before = parseGc(histogram("major", [1, 2, 2, 2], 2, 0.004));
    const after = parseGc(histogram("major", [1, 3, 4, 5], 5, 0.06));
    expect(gcBetween(before, after, "major")).toEqual({
      count: 3,
      totalMs: expect.closeTo(56, 6),
      longestAtMostMs: 50,
      over10Ms: 2,
    });
    expect(gcNote(before, after)).toBe(
      "server full GCs while firing: 3 (2 over 10 ms, longest ≤ 50 ms, 56.0 ms in all)",
    );
    expect(gcNote(before, before)).toBe("server full GCs while firing: 0");
  });

  it("says nothing when the server had no /metrics", async () => {
    expect(await readServerGc("http://127.0.0.1:9/")).toBeUndefined();
    expect(gcNote(undefined, parseGc(""))).toBeUndefined();
  });
});
