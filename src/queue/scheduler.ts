import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { RedisClock } from "./clock.js";
import type { JobStore } from "./store.js";
import type { ReservedJob } from "./types.js";

/** Jobs to reserve straight for parked pops, per topic: `[topic, count]`. */
export type Demand = readonly (readonly [string, number])[];

export interface SchedulerOptions {
  /** Most jobs one promote call moves. */
  batchSize: number;
  /** Longest sleep even when nothing is due: a net under lost notifications. */
  maxSleepMs: number;
  logger: Logger;
  /** Told which topics got ready jobs in `shard`, so parked pops wake at once. */
  onReady(topics: Map<string, number>, shard: number): void;
  /**
   * What parked pops would take straight from a promote run; the scheduler
   * gives the claim back with {@link unclaim} once the run has answered.
   */
  claim(): Demand;
  unclaim(demand: Demand): void;
  /** Jobs a promote run reserved for the demand it was given, to hand to the parked pops. */
  onReserved(jobs: ReservedJob[], shard: number): void;
}

interface ShardTimer {
  timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires, on the Redis clock. */
  armedFor: number;
  running: Promise<void> | undefined;
  /** A wake-up came in while a run was in flight: run again right after. */
  again: boolean;
  failures: number;
}

/**
 * Promotes due jobs of every shard. Each shard sleeps until its earliest due
 * entry (as the promote script reports it, or as a push or a notification
 * hints), never on a fixed tick. Several processes may promote the same shard:
 * the script moves each job exactly once.
 */
export class Scheduler {
  private readonly shards: ShardTimer[];
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly clock: RedisClock,
    private readonly options: SchedulerOptions,
  ) {
    this.shards = store.shards.map(() => ({
      timer: undefined,
      armedFor: Number.POSITIVE_INFINITY,
      running: undefined,
      again: false,
      failures: 0,
    }));
  }

  /** Runs every shard now (at start, and after a reconnect that may have hidden news). */
  kickAll(): void {
    for (let shard = 0; shard < this.shards.length; shard++) void this.run(shard);
  }

  /** Makes sure `shard` is looked at no later than `dueMs` (Redis clock). */
  hint(shard: number, dueMs: number): void {
    this.arm(shard, dueMs);
  }

  /** Stops all timers and waits for runs in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.shards) disarm(state);
    await Promise.all(this.shards.map((state) => state.running));
  }

  private arm(shard: number, dueMs: number): void {
    const state = this.shards[shard];
    if (!state || this.stopped) return;
    const now = this.clock.now();
    const at = Math.min(dueMs, now + this.options.maxSleepMs);
    if (at >= state.armedFor) return;
    disarm(state);
    state.armedFor = at;
    state.timer = setTimeout(() => this.fire(shard), Math.max(0, Math.ceil(at - now)));
  }

  /**
   * A timer of `n` ms may fire up to 1 ms before `n` ms have passed (Node's
   * timers run on whole ms): a promote then would find nothing due and cost a
   * round trip before the next timer. Such a timer is armed again instead,
   * with no call.
   */
  private fire(shard: number): void {
    const state = this.shards[shard] as ShardTimer;
    state.timer = undefined;
    const early = state.armedFor - this.clock.now();
    if (early > 0 && !this.stopped) {
      state.timer = setTimeout(() => this.fire(shard), Math.ceil(early));
      return;
    }
    void this.run(shard);
  }

  private run(shard: number): Promise<void> {
    const state = this.shards[shard] as ShardTimer;
    // Whatever timer brought us here is spent: forget it, or arm() would refuse later wake-ups.
    disarm(state);
    state.armedFor = Number.POSITIVE_INFINITY;
    if (state.running) {
      state.again = true;
      return state.running;
    }
    state.running = this.promote(shard, state).finally(() => {
      state.running = undefined;
    });
    return state.running;
  }

  private async promote(shard: number, state: ShardTimer): Promise<void> {
    try {
      let nextDue: number | undefined;
      do {
        state.again = false;
        const sentAt = performance.now();
        const demand = this.options.claim();
        let result: Awaited<ReturnType<JobStore["promote"]>>;
        try {
          result = await this.store.promote(shard, this.options.batchSize, demand);
        } finally {
          this.options.unclaim(demand);
        }
        this.clock.observe(result.now, sentAt, performance.now());
        if (result.reserved.length > 0) this.options.onReserved(result.reserved, shard);
        if (result.topics.size > 0) this.options.onReady(result.topics, shard);
        nextDue = result.nextDue;
        state.again ||= result.more;
      } while (state.again && !this.stopped);
      state.failures = 0;
      this.arm(shard, nextDue ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      state.failures++;
      const backoff = Math.min(50 * 2 ** state.failures, this.options.maxSleepMs);
      this.options.logger.warn({ err: error, shard, backoff }, "promote failed; retrying");
      this.arm(shard, this.clock.now() + backoff);
    }
  }
}

function disarm(state: ShardTimer): void {
  clearTimeout(state.timer);
  state.timer = undefined;
}
