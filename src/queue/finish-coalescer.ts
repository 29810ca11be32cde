import { shardBatch } from "./shard-batch.js";
import type { JobStore } from "./store.js";
import type { TurnBatch } from "./turn-batch.js";
import type { SettleResult } from "./types.js";

/** One finish: the job and the token of its hand-out ("" for any state). */
export interface FinishRequest {
  id: string;
  token: string;
}

/** Finishes of one turn, grouped by shard into `finish-batch` calls. */
export function finishCoalescer(store: JobStore): TurnBatch<FinishRequest, SettleResult> {
  return shardBatch(store, {
    one: (request) => store.finish(request.id, request.token),
    many: (shard, requests) => store.finishBatch(shard, requests),
  });
}
