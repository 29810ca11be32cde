import type { JobStore } from "./store.js";
import { TurnBatch } from "./turn-batch.js";

/** Most jobs one `push-batch` or `finish-batch` call carries. */
export const maxJobsPerCall = 500;

/** The single-job call and the batch call a {@link shardBatch} sends. */
export interface ShardCalls<Item, Result> {
  one(item: Item): Promise<Result>;
  /** One result per item, in order; every item's id is in `shard`. */
  many(shard: number, items: Item[]): Promise<Result[]>;
}

/**
 * Calls of one turn about single jobs, grouped by the shard of the job id: a
 * group goes as one batch call (at most {@link maxJobsPerCall} jobs), a lone
 * call as the single-job call.
 */
export function shardBatch<Item extends { readonly id: string }, Result>(
  store: Pick<JobStore, "shardOf">,
  calls: ShardCalls<Item, Result>,
): TurnBatch<Item, Result> {
  return new TurnBatch({
    keyOf: (item) => String(store.shardOf(item.id)),
    maxWeight: maxJobsPerCall,
    async send(items, key) {
      const [only] = items;
      if (items.length === 1 && only) return [await calls.one(only)];
      return calls.many(Number(key), items);
    },
  });
}
