import { handBack } from "./handoff.js";
import type { ShardLook } from "./shard-look.js";
import type { JobStore } from "./store.js";
import type { ReservedJob, StopSignal } from "./types.js";
import type { Waiter, WaiterRegistry } from "./waiters.js";

/** What a pop needs from the queue. */
export interface PopLoopOptions {
  store: JobStore;
  waiters: WaiterRegistry;
  look: ShardLook;
  /** True once the queue is closing: pops stop waiting. */
  closing(): boolean;
}

/**
 * A pop: look, and if it may wait, park and look again when woken, until it
 * has jobs, its time runs out, its signal aborts or the queue closes.
 */
export class PopLoop {
  constructor(private readonly options: PopLoopOptions) {}

  async run(
    topics: string[],
    max: number,
    timeoutMs: number,
    signal: StopSignal | undefined,
  ): Promise<ReservedJob[]> {
    const deadline = performance.now() + timeoutMs;
    let lookFirst: number | undefined;
    while (!signal?.aborted) {
      // Park before looking, so news arriving during the reserve is not missed.
      const waiter =
        timeoutMs > 0 && !this.options.closing()
          ? this.options.waiters.add(topics, max)
          : undefined;
      let jobs: ReservedJob[];
      try {
        jobs = await this.options.look.reserve(topics, max, lookFirst, waiter !== undefined);
      } catch (error) {
        if (waiter) this.unpark(waiter);
        throw error;
      }
      if (jobs.length > 0) {
        // A wake-up that came during the look may be about a job it did not take: pass it on.
        if (waiter) this.unpark(waiter);
        return this.taken(jobs, signal);
      }
      if (!waiter) return [];
      this.options.waiters.looked(waiter);
      // News that came during the look may be about a shard it had already passed: look again.
      const again = waiter.newsWhileLooking && performance.now() < deadline;
      const outcome = again ? "woken" : await waiter.wait(deadline - performance.now(), signal);
      if (waiter.delivered) return this.taken(waiter.delivered, signal);
      if (outcome !== "woken" || this.options.closing()) {
        this.unpark(waiter);
        return [];
      }
      this.options.waiters.remove(waiter);
      lookFirst = waiter.wokenShard;
    }
    return [];
  }

  /** Jobs reserved for a pop: its answer, or, if the caller left meanwhile, handed straight back. */
  private async taken(jobs: ReservedJob[], signal: StopSignal | undefined): Promise<ReservedJob[]> {
    if (!signal?.aborted) return jobs;
    const { store, waiters } = this.options;
    await Promise.all(jobs.map((job) => handBack(store, waiters, job)));
    return [];
  }

  /** Unparks `waiter`; news it received but did not use passes to the next waiter. */
  private unpark(waiter: Waiter): void {
    this.options.waiters.remove(waiter);
    const topic = waiter.wokenBy;
    if (topic !== undefined && !this.options.closing())
      this.options.waiters.wake(topic, 1, waiter.wokenShard);
  }
}
