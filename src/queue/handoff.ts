import type { Logger } from "pino";
import type { Demand } from "./scheduler.js";
import type { JobStore } from "./store.js";
import type { ReservedJob } from "./types.js";
import type { WaiterRegistry } from "./waiters.js";

/**
 * Jobs the scheduler reserves in its promote call for pops parked here, and
 * hands to them without a reserve call of their own: one Redis call less per
 * job, and the pop answers as soon as the promote does.
 *
 * Claims keep two shards' promote runs in flight from reserving for the same
 * waiters; a job that finds no waiter left (it timed out or was woken by
 * other news meanwhile) is handed back to the head of its list.
 */
export class Handoff {
  private readonly claimed = new Map<string, number>();

  constructor(
    private readonly store: JobStore,
    private readonly waiters: WaiterRegistry,
    private readonly logger: Logger,
  ) {}

  /**
   * What parked pops would take, less what runs in flight already reserve for
   * them; half of it, rounded up, so that another shard's run starting
   * meanwhile still finds waiters to reserve for instead of announcing.
   */
  claim(): Demand {
    const demand: [string, number][] = [];
    for (const [topic, wanted] of this.waiters.demand()) {
      const open = wanted - (this.claimed.get(topic) ?? 0);
      if (open <= 0) continue;
      const share = Math.ceil(open / 2);
      demand.push([topic, share]);
      this.claimed.set(topic, (this.claimed.get(topic) ?? 0) + share);
    }
    return demand;
  }

  unclaim(demand: Demand): void {
    for (const [topic, count] of demand) {
      const left = (this.claimed.get(topic) ?? 0) - count;
      if (left > 0) this.claimed.set(topic, left);
      else this.claimed.delete(topic);
    }
  }

  deliver(jobs: ReservedJob[], shard: number): void {
    const byTopic = new Map<string, ReservedJob[]>();
    for (const job of jobs) {
      const list = byTopic.get(job.topic);
      if (list) list.push(job);
      else byTopic.set(job.topic, [job]);
    }
    for (const [topic, list] of byTopic) {
      for (const job of this.waiters.deliver(topic, list)) void this.giveBack(job, shard);
    }
  }

  private async giveBack(job: ReservedJob, shard: number): Promise<void> {
    try {
      await handBack(this.store, this.waiters, job);
    } catch (err) {
      // Its ttr brings it back: late, never lost.
      this.logger.warn({ err, shard }, "could not hand back a job reserved for a pop that left");
    }
  }
}

/**
 * Puts a job reserved for a pop that is no longer there back at the head of
 * its list, the attempt undone, and tells the waiters.
 */
export async function handBack(
  store: JobStore,
  waiters: WaiterRegistry,
  job: ReservedJob,
): Promise<void> {
  const { shard } = await store.release(job.id, job.token, 0, true);
  waiters.wake(job.topic, 1, shard);
}
