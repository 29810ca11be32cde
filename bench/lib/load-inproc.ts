import { type LoadResult, loadResult } from "./load-h1.js";
import { Samples } from "./stats.js";

export interface LoopOptions {
  /** Loops running at once, each awaiting its call before the next. */
  concurrency: number;
  durationMs: number;
  /** Total calls to make (then stop). */
  amount?: number;
  until?: () => boolean;
  /** One call; resolves false for a failure. `n` counts calls started. */
  call: (n: number, loop: number) => Promise<boolean>;
}

/** Closed-loop calls inside this process (library-level rows: the engine, BullMQ). */
export async function runLoops(options: LoopOptions): Promise<LoadResult> {
  const latency = new Samples();
  let started = 0;
  let responses = 0;
  let failures = 0;
  let errors = 0;
  let sample: string | undefined;
  let stop = false;
  const timer = setTimeout(() => {
    stop = true;
  }, options.durationMs);
  const t0 = performance.now();
  const loop = async (index: number) => {
    while (!stop && (options.amount === undefined || started < options.amount)) {
      const n = started++;
      const sentAt = performance.now();
      try {
        const ok = await options.call(n, index);
        responses++;
        if (ok) latency.add(performance.now() - sentAt);
        else failures++;
      } catch (error) {
        errors++;
        sample ??= String(error);
      }
      if (options.until?.()) stop = true;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i)));
  clearTimeout(timer);
  return loadResult({ responses, failures, errors, sample }, latency, t0);
}
