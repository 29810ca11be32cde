import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { setHeapGrowingPercent } from "../src/server/heap-growth.js";

const module = fileURLToPath(new URL("../src/server/heap-growth.ts", import.meta.url));

/**
 * Full GCs in a fresh process that sets `percent` and then promotes a few hundred MB in
 * chunks it lets go a few at a time, as a server's requests do.
 */
function fullGcs(percent: number): Promise<number> {
  const script = `
    import { PerformanceObserver, constants } from "node:perf_hooks";
    const { setHeapGrowingPercent } = await import(${JSON.stringify(module)});
    setHeapGrowingPercent(${percent});
    let majors = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    });
    observer.observe({ entryTypes: ["gc"] });
    const kept = [];
    for (let round = 0; round < 1500; round++) {
      kept.push(Array.from({ length: 5000 }, (_, i) => ({ round, i, s: "x" + i })));
      if (kept.length > 40) kept.shift();
      await new Promise((resolve) => setImmediate(resolve));
    }
    setTimeout(() => { observer.disconnect(); console.log(majors); }, 50);
  `;
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { timeout: 60_000 },
      (error, stdout) => (error ? reject(error) : resolve(Number(stdout.trim()))),
    ),
  );
}

describe("setHeapGrowingPercent", () => {
  it("makes full GCs come more often than V8's own factor does", async () => {
    const [own, tuned] = await Promise.all([fullGcs(0), fullGcs(10)]);
    expect(own).toBeGreaterThan(0);
    expect(tuned).toBeGreaterThan(own * 2);
  }, 60_000);

  it("refuses a negative or fractional percent", () => {
    expect(() => setHeapGrowingPercent(-1)).toThrow(RangeError);
    expect(() => setHeapGrowingPercent(2.5)).toThrow(RangeError);
  });
});
