import type { DelayQueue } from "../../src/queue/index.js";
import { runLoops } from "./load-inproc.js";
import type { IdSequence } from "./messages.js";
import { progress } from "./progress.js";

export interface LoadJobsOptions {
  count: number;
  topic: string;
  ids: IdSequence;
  body: string;
  /** Delay of job `n`, ms. */
  delayMs: (n: number) => number;
  concurrency?: number;
  /** Progress label; silent when absent. */
  label?: string;
}

/**
 * Setup, not a measurement: pushes jobs straight through the engine library
 * in this process (ioredis auto-pipelining, many calls in flight).
 * Returns jobs/s.
 */
export async function loadJobs(engine: DelayQueue, options: LoadJobsOptions): Promise<number> {
  let done = 0;
  let nextReport = options.count / 10;
  const result = await runLoops({
    concurrency: options.concurrency ?? 512,
    durationMs: 24 * 3600_000,
    amount: options.count,
    call: async (n) => {
      await engine.push({
        topic: options.topic,
        id: options.ids.id(),
        body: options.body,
        delayMs: options.delayMs(n),
        ttrMs: 60_000,
      });
      done++;
      if (options.label && done >= nextReport) {
        nextReport += options.count / 10;
        progress(
          `${options.label}: ${done.toLocaleString("en-US")} / ${options.count.toLocaleString("en-US")}`,
        );
      }
      return true;
    },
  });
  if (result.errors + result.failures > 0) {
    throw new Error(
      `loading jobs: ${result.errors + result.failures} pushes failed: ${result.sample}`,
    );
  }
  return result.rate;
}
