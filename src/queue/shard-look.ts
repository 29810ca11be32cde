import type { ReserveRequest, ReserveShare } from "./reserve-coalescer.js";
import type { JobStore } from "./store.js";
import type { TurnBatch } from "./turn-batch.js";
import type { ReservedJob } from "./types.js";
import type { WaiterRegistry } from "./waiters.js";

/** What a look needs from the queue. */
export interface ShardLookOptions {
  store: JobStore;
  waiters: WaiterRegistry;
  reserves: TurnBatch<ReserveRequest, ReserveShare>;
  /** Sends pushes waiting to be coalesced, so that a look sees them. */
  flushPushes(): void;
  /** Tells the scheduler about a new reservation deadline in a shard. */
  reservedUntil(shard: number, dueMs: number): void;
}

/** One pop's look over the shards for ready jobs. */
export class ShardLook {
  private rotation = 0;

  constructor(private readonly options: ShardLookOptions) {}

  /**
   * Reserves up to `max` jobs, shard by shard in {@link shardOrder}, until it has them or
   * has tried every shard; a parked pop of one topic skips shards its hints say are empty.
   */
  async reserve(
    topics: readonly string[],
    max: number,
    lookFirst: number | undefined,
    parked: boolean,
  ): Promise<ReservedJob[]> {
    const { reserves, waiters } = this.options;
    const taken: ReservedJob[] = [];
    const [topic] = topics;
    const hints = waiters.hints;
    // Only a parked pop may skip a shard: news of a job landing there meanwhile wakes it.
    // A pop that looks once must see every job acknowledged before it, whoever pushed it.
    const single = parked && topics.length === 1 && topic !== undefined;
    for (const shard of await this.shardOrder(topics, lookFirst)) {
      if (single && hints.isEmpty(topic, shard)) continue;
      const version = single ? hints.version(topic) : 0;
      this.options.flushPushes();
      const fromShard = taken.length;
      let result = await reserves.add({ shard, topics, max: max - taken.length });
      taken.push(...result.jobs);
      while (result.again && taken.length < max) {
        result = await reserves.add({ shard, topics, max: max - taken.length });
        taken.push(...result.jobs);
      }
      if (single && taken.length < max) hints.lookedEmpty(topic, shard, version);
      // Every call's jobs, not just the last one's: each may hold its own ttr.
      let earliest = Infinity;
      for (let i = fromShard; i < taken.length; i++) {
        earliest = Math.min(earliest, (taken[i] as ReservedJob).reservedUntil);
      }
      if (earliest < Infinity) this.options.reservedUntil(shard, earliest);
      if (taken.length >= max) break;
    }
    return taken;
  }

  /**
   * Shards to try, in order. One topic: the shard the news that woke the pop
   * was about, if any, then round-robin, since any shard's oldest job will do.
   * Several: look first, so a later topic in one shard does not win over an
   * earlier topic in another.
   */
  private async shardOrder(
    topics: readonly string[],
    lookFirst: number | undefined,
  ): Promise<number[]> {
    const { store } = this.options;
    const count = store.shards.length;
    const start = lookFirst ?? this.rotation++ % count;
    const rotated = Array.from({ length: count }, (_, i) => (start + i) % count);
    if (count === 1 || topics.length === 1) return rotated;
    const lengths = await store.readyLengths(topics);
    const rank = (shard: number) => {
      const index = lengths.findIndex((perShard) => (perShard[shard] ?? 0) > 0);
      return index === -1 ? Number.POSITIVE_INFINITY : index;
    };
    return rotated.filter((shard) => rank(shard) < Infinity).sort((a, b) => rank(a) - rank(b));
  }
}
