import type { JobStore } from "./store.js";
import { TurnBatch } from "./turn-batch.js";
import type { ReservedJob } from "./types.js";

/** One pop's look at one shard. */
export interface ReserveRequest {
  shard: number;
  topics: readonly string[];
  max: number;
}

/** Its share of a coalesced reserve; `again` as `JobStore.reserve` reports it. */
export interface ReserveShare {
  jobs: ReservedJob[];
  again: boolean;
}

/** Most jobs one coalesced reserve call takes, so one script never runs long. */
const maxJobsPerCall = 1000;

/**
 * Pops of one turn that look at the same shard for the same topics share one
 * `reserve` call for all the jobs they want; the jobs are handed out in call
 * order, each pop taking up to its own max.
 */
export function reserveCoalescer(store: JobStore): TurnBatch<ReserveRequest, ReserveShare> {
  return new TurnBatch({
    keyOf: (request) => `${request.shard}\u0000${request.topics.join("\u0000")}`,
    weightOf: (request) => request.max,
    maxWeight: maxJobsPerCall,
    async send(requests) {
      const { shard, topics } = requests[0] as ReserveRequest;
      const wanted = requests.reduce((sum, request) => sum + request.max, 0);
      const { jobs, again } = await store.reserve(shard, topics, wanted);
      let next = 0;
      return requests.map((request) => {
        const share = jobs.slice(next, next + request.max);
        next += share.length;
        return { jobs: share, again };
      });
    },
  });
}
