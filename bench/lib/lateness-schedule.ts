/**
 * Drives one lateness schedule: pushes its jobs ahead of their due times, a
 * few at a time, then waits for them to arrive. Shared by our rows and BullMQ's.
 */
import type { Planned } from "./lateness-outcome.js";
import { runLoops } from "./load-inproc.js";
import { nowEpochMs } from "./messages.js";
import { sleep } from "./progress.js";

/** Few pushers, so that a push is acknowledged soon after the queue stamps its due time. */
const PUSHERS = 8;
/** How long after the last due time a job may still arrive before it counts as lost. */
const GRACE_MS = 5_000;

/**
 * Pushes `jobs` with `push` (given each job and its index), then waits until
 * `arrived()` counts them all or the grace after the last due time is over;
 * returns the seconds the pushes took.
 */
export async function pushThenWait(
  jobs: readonly Planned[],
  push: (job: Planned, index: number) => Promise<unknown>,
  arrived: () => number,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await runLoops({
    concurrency: PUSHERS,
    durationMs: 600_000,
    amount: jobs.length,
    call: async (index) => {
      await push(jobs[next++] as Planned, index);
      return true;
    },
  });
  const pushSeconds = (performance.now() - t0) / 1000;
  const deadline = (jobs[jobs.length - 1]?.due ?? 0) + GRACE_MS;
  while (arrived() < jobs.length && nowEpochMs() < deadline) await sleep(20);
  return pushSeconds;
}
