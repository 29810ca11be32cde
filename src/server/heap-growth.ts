import v8 from "node:v8";

/**
 * Lets the old generation grow by `percent` between full GCs instead of by
 * V8's own factor (0 keeps V8's). A full GC's final pause frees every
 * external string since the one before, and `node:http2` makes one of each
 * request header value, so under gRPC traffic the pause grows with the time
 * between full GCs: 100,000 gRPC pushes gave 3–5 full GCs of up to 44–73 ms
 * with V8's factor and 19–21 of up to 14–17 ms at 10%, at some throughput
 * (docs/PERFORMANCE.md). V8 reads the factor after each GC, so setting it at
 * start is enough.
 */
export function setHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) {
    throw new RangeError(`heap growing percent must be a whole number ≥ 0, not ${percent}`);
  }
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
