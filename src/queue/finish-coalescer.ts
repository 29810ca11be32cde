import type { JobStore } from "./store.js";
import { TurnBatch } from "./turn-batch.js";
import type { SettleResult } from "./types.js";

/** One finish: the job and the token of its hand-out ("" for any state). */
export interface FinishRequest {
  id: string;
  token: string;
}

/**
 * Finishes of one turn, grouped by shard: a group goes as one `finish-batch`
 * call (at most 500 jobs), a lone finish as a `finish` call.
 */
export function finishCoalescer(store: JobStore): TurnBatch<FinishRequest, SettleResult> {
  return new TurnBatch({
    keyOf: (request) => String(store.shardOf(request.id)),
    maxWeight: 500,
    async send(requests) {
      const [only] = requests;
      if (requests.length === 1 && only) return [await store.finish(only.id, only.token)];
      return store.finishBatch(store.shardOf((only as FinishRequest).id), requests);
    },
  });
}
