import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { type DelayQueue, QueueClosedError, type ReservedJob } from "../../src/queue/index.js";
import { waitUntil } from "./wait.js";

/** Options of {@link runConsumers}. */
export interface ConsumerOptions {
  topics: readonly string[];
  /** Pop loops to run side by side. */
  concurrency: number;
  /** Long-poll wait of each pop, ms. */
  timeoutMs: number;
  /** Aborting ends every loop (a parked pop returns null at once). */
  signal: AbortSignal;
  /** Handles one popped job; awaited before that loop pops again. */
  onJob(job: ReservedJob): unknown;
  /** Handles a failed pop or `onJob`; without it the first error rejects the run. */
  onError?(error: unknown): unknown;
}

/**
 * Runs `concurrency` pop loops on `queue` until `signal` aborts or the queue
 * closes. Resolves when every loop has ended; rejects with the first error if
 * there is no `onError`.
 */
export async function runConsumers(queue: DelayQueue, options: ConsumerOptions): Promise<void> {
  const { signal } = options;
  // Every parked pop listens on the one signal.
  setMaxListeners(Math.max(10, 2 * options.concurrency + 10), signal);
  const loop = async () => {
    while (!signal.aborted) {
      try {
        const job = await queue.pop(options.topics, { timeoutMs: options.timeoutMs, signal });
        if (job) await options.onJob(job);
      } catch (error) {
        if (signal.aborted || error instanceof QueueClosedError) return;
        if (!options.onError) throw error;
        await options.onError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
}

/**
 * Pops from `topics` with four loops, finishing each job at once, until
 * `done(seen)` holds (checked every 50 ms, up to `timeoutMs`), then 200 ms
 * more so a stray extra hand-out would show. Returns every hand-out in order.
 */
export async function drainUntil(
  queue: DelayQueue,
  topics: readonly string[],
  done: (seen: readonly ReservedJob[]) => boolean,
  timeoutMs = 20_000,
): Promise<ReservedJob[]> {
  const seen: ReservedJob[] = [];
  const stop = new AbortController();
  const consumers = runConsumers(queue, {
    topics,
    concurrency: 4,
    timeoutMs: 500,
    signal: stop.signal,
    async onJob(job) {
      seen.push(job);
      await queue.finish(job.id, job.token);
    },
  });
  try {
    await waitUntil(() => done(seen), { timeoutMs, message: "drain" });
    await sleep(200);
  } finally {
    stop.abort();
    await consumers;
  }
  return seen;
}
