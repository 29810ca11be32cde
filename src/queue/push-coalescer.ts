import type { JobStore, StoredPush } from "./store.js";
import { TurnBatch } from "./turn-batch.js";

/** One coalesced push's outcome, as `JobStore.push` reports it. */
export type CoalescedPush = { shard: number; dueAt: number; replaced: boolean } | "exists";

/**
 * Single pushes of one turn, grouped by shard: a group goes as one `push-batch`
 * call (at most 500 jobs, as `storeMany` sends them), a lone push as a `push` call.
 */
export function pushCoalescer(store: JobStore): TurnBatch<StoredPush, CoalescedPush> {
  return new TurnBatch({
    keyOf: (job) => String(store.shardOf(job.id)),
    maxWeight: 500,
    async send(jobs) {
      const shard = store.shardOf((jobs[0] as StoredPush).id);
      const [only] = jobs;
      if (jobs.length === 1 && only) {
        const { id, topic, body, delayMs, ttrMs, ifAbsent } = only;
        return [await store.push(id, topic, body, delayMs, ttrMs, ifAbsent)];
      }
      const results = await store.pushBatch(shard, jobs);
      return results.map((result) => (result === "exists" ? result : { shard, ...result }));
    },
  });
}
