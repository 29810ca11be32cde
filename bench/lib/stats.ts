/** p50 / p99 / max of a sample, in the sample's unit. */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** A growable sample of numbers (latencies in ms, say). */
export class Samples {
  private values = new Float64Array(1024);
  private length = 0;

  add(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  get count(): number {
    return this.length;
  }

  summary(): Summary {
    return summarize(this.values.subarray(0, this.length));
  }
}

/** Nearest-rank percentiles. An empty sample gives NaN everywhere but count. */
export function summarize(input: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(input).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, min: NaN, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    min: sorted[0] as number,
    p50: rank(0.5),
    p99: rank(0.99),
    max: sorted[n - 1] as number,
    mean: sum / n,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}
