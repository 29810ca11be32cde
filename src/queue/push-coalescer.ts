import { shardBatch } from "./shard-batch.js";
import type { JobStore, StoredPush } from "./store.js";
import type { TurnBatch } from "./turn-batch.js";

/** One coalesced push's outcome, as `JobStore.push` reports it. */
export type CoalescedPush = { shard: number; dueAt: number; replaced: boolean } | "exists";

/** Single pushes of one turn, grouped by shard into `push-batch` calls. */
export function pushCoalescer(store: JobStore): TurnBatch<StoredPush, CoalescedPush> {
  return shardBatch(store, {
    one: (job) => store.push(job.id, job.topic, job.body, job.delayMs, job.ttrMs, job.ifAbsent),
    async many(shard, jobs) {
      const results = await store.pushBatch(shard, jobs);
      return results.map((result) => (result === "exists" ? result : { shard, ...result }));
    },
  });
}
