import { InvalidArgumentError } from "./errors.js";
import { checkBody, checkDuration, checkId, checkJobs, checkTopic, type Limits } from "./limits.js";
import { maxJobsPerCall } from "./shard-batch.js";
import type { JobStore, StoredPush } from "./store.js";
import type { PushInput, PushManyResult } from "./types.js";

/** One push, checked against the limits and ready to store. */
export function checkPush(input: PushInput, limits: Limits): StoredPush {
  return {
    id: checkId(input.id, limits),
    topic: checkTopic(input.topic, limits),
    body: checkBody(input.body, limits),
    delayMs: checkDuration(input.delayMs, "delay", 0, limits.maxDelayMs),
    ttrMs: checkDuration(input.ttrMs, "ttr", limits.minTtrMs, limits.maxTtrMs),
    ifAbsent: input.ifAbsent === true,
  };
}

/** Checks a whole batch before anything is written; an error names the job's index. */
export function checkPushes(inputs: readonly PushInput[], limits: Limits): StoredPush[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InvalidArgumentError("jobs", "at least one job is required");
  }
  return checkJobs(inputs, limits, (input: PushInput) => checkPush(input, limits));
}

/** What a stored batch means for the waiters and the scheduler. */
export interface PushManyEffects {
  /** Ready jobs per topic. */
  ready: Map<string, number>;
  /** Earliest due time per shard among delayed jobs. */
  earliest: Map<number, number>;
}

/**
 * Stores a checked batch: jobs grouped by shard, one script call per chunk,
 * all calls in flight at once (sent together in one socket write).
 * Results come back in input order.
 */
export async function storeMany(
  store: JobStore,
  jobs: readonly StoredPush[],
): Promise<{ results: PushManyResult[]; effects: PushManyEffects }> {
  const byShard = new Map<number, number[]>();
  jobs.forEach((job, i) => {
    const shard = store.shardOf(job.id);
    const indexes = byShard.get(shard) ?? [];
    indexes.push(i);
    byShard.set(shard, indexes);
  });
  const results: PushManyResult[] = new Array(jobs.length);
  const effects: PushManyEffects = { ready: new Map(), earliest: new Map() };
  const calls: Promise<void>[] = [];
  for (const [shard, indexes] of byShard) {
    for (let at = 0; at < indexes.length; at += maxJobsPerCall) {
      const chunk = indexes.slice(at, at + maxJobsPerCall);
      const call = store.pushBatch(
        shard,
        chunk.map((i) => jobs[i] as StoredPush),
      );
      calls.push(
        call.then((replies) => {
          replies.forEach((reply, n) => {
            const index = chunk[n] as number;
            const job = jobs[index] as StoredPush;
            if (reply === "exists") {
              results[index] = { dueAt: 0, replaced: false, refused: true };
              return;
            }
            results[index] = { ...reply, refused: false };
            if (job.delayMs === 0) {
              effects.ready.set(job.topic, (effects.ready.get(job.topic) ?? 0) + 1);
            } else if (reply.dueAt < (effects.earliest.get(shard) ?? Number.POSITIVE_INFINITY)) {
              effects.earliest.set(shard, reply.dueAt);
            }
          });
        }),
      );
    }
  }
  await Promise.all(calls);
  return { results, effects };
}
