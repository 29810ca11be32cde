import { ReadyHints } from "./ready-hints.js";
import type { ReservedJob, StopSignal } from "./types.js";

/** Why a parked pop stopped waiting. */
export type WaitOutcome = "woken" | "timeout" | "aborted";

/** One parked pop: woken at most once, by a topic it waits on. */
export class Waiter {
  /** The topic whose news woke this waiter, once woken. */
  wokenBy: string | undefined;
  /** The shard that news was about, when known: the pop looks there first. */
  wokenShard: number | undefined;
  /** Jobs reserved for this waiter by the scheduler, when it was woken with them. */
  delivered: ReservedJob[] | undefined;
  /**
   * News for one of its topics came while its pop was still looking (trying
   * the shards in turn): the look may have passed the shard the news is about.
   */
  newsWhileLooking = false;
  private notify: (() => void) | undefined;

  constructor(
    readonly topics: readonly string[],
    /** Most jobs its pop takes. */
    readonly max: number,
  ) {}

  wake(topic: string, shard?: number): void {
    if (this.wokenBy !== undefined) return;
    this.wokenBy = topic;
    this.wokenShard = shard;
    this.notify?.();
  }

  /** Wakes the waiter with jobs already reserved for it. */
  deliver(jobs: ReservedJob[]): void {
    if (this.wokenBy !== undefined) return;
    this.delivered = jobs;
    this.wake(jobs[0]?.topic ?? "");
  }

  /** Resolves when woken, after `ms`, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal: StopSignal | undefined): Promise<WaitOutcome> {
    if (this.wokenBy !== undefined) return Promise.resolve("woken");
    if (signal?.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const finish = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.notify = undefined;
        resolve(outcome);
      };
      const onAbort = () => finish("aborted");
      const timer = setTimeout(() => finish("timeout"), Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.notify = () => finish("woken");
    });
  }
}

/**
 * Parked pops by topic, oldest first. News that a topic got `n` ready jobs
 * wakes up to `n` of its waiters; each then retries the atomic reserve.
 *
 * A pop parks before it looks, and its waiter counts as looking until
 * {@link WaiterRegistry.looked}. News also marks every waiter of the topic
 * that is still looking (`newsWhileLooking`): its look may already have
 * passed the shard of the new job while the waiter woken for it takes a job
 * from a shard the looking one had yet to reach; the looking one must look
 * again rather than sleep.
 */
export class WaiterRegistry {
  private readonly byTopic = new Map<string, Set<Waiter>>();
  private readonly lookingByTopic = new Map<string, Set<Waiter>>();
  /** What {@link demand} reports, kept as waiters start and stop waiting. */
  private readonly waitingDemand = new Map<string, number>();
  private count = 0;
  /** Every piece of news passes through {@link wake}, so the hints live here. */
  readonly hints = new ReadyHints();

  get size(): number {
    return this.count;
  }

  /** Parks a waiter for `topics`; it counts as looking until {@link looked}. */
  add(topics: readonly string[], max = 1): Waiter {
    const waiter = new Waiter(topics, max);
    for (const topic of topics) {
      addTo(this.byTopic, topic, waiter);
      addTo(this.lookingByTopic, topic, waiter);
    }
    this.count++;
    return waiter;
  }

  /** The pop of `waiter` is done looking; from now on it only waits. */
  looked(waiter: Waiter): void {
    const [topic] = waiter.topics;
    if (this.stopLooking(waiter) && topic !== undefined && this.byTopic.get(topic)?.has(waiter)) {
      this.addDemand(waiter, 1);
    }
  }

  /** Unparks `waiter`; safe to call when it is already gone. */
  remove(waiter: Waiter): void {
    const wasLooking = this.stopLooking(waiter);
    let found = false;
    for (const topic of waiter.topics) {
      if (deleteFrom(this.byTopic, topic, waiter)) found = true;
    }
    if (!found) return;
    this.count--;
    if (!wasLooking) this.addDemand(waiter, -1);
  }

  /** True if `waiter` was still looking. */
  private stopLooking(waiter: Waiter): boolean {
    let was = false;
    for (const topic of waiter.topics) {
      if (deleteFrom(this.lookingByTopic, topic, waiter)) was = true;
    }
    return was;
  }

  /** Counts a waiting single-topic waiter in (`sign` 1) or out (-1) of its topic's demand. */
  private addDemand(waiter: Waiter, sign: 1 | -1): void {
    const [topic] = waiter.topics;
    if (waiter.topics.length !== 1 || topic === undefined) return;
    const total = (this.waitingDemand.get(topic) ?? 0) + sign * waiter.max;
    if (total > 0) this.waitingDemand.set(topic, total);
    else this.waitingDemand.delete(topic);
  }

  /** Wakes up to `count` waiters of `topic` (whose jobs are in `shard`, when known); returns how many woke. */
  wake(topic: string, count: number, shard?: number): number {
    this.hints.news(topic, shard);
    for (const waiter of this.lookingByTopic.get(topic) ?? []) waiter.newsWhileLooking = true;
    const set = this.byTopic.get(topic);
    if (!set) return 0;
    let woken = 0;
    for (const waiter of set) {
      if (woken >= count) break;
      this.remove(waiter);
      waiter.wake(topic, shard);
      woken++;
    }
    return woken;
  }

  /**
   * How many jobs each topic's waiters would take straight from the scheduler:
   * waiters done looking that wait on that topic alone (a waiter on several
   * topics must get the first of them that has a job, which only its own look
   * can tell).
   */
  demand(): ReadonlyMap<string, number> {
    return this.waitingDemand;
  }

  /**
   * Hands reserved jobs of `topic` to its waiters done looking, oldest first,
   * each taking up to its max; returns the jobs no waiter took.
   */
  deliver(topic: string, jobs: ReservedJob[]): ReservedJob[] {
    const set = this.byTopic.get(topic);
    const looking = this.lookingByTopic.get(topic);
    let next = 0;
    // Removing the current element while iterating a Set is safe.
    for (const waiter of set ?? []) {
      if (next >= jobs.length) break;
      if (waiter.topics.length !== 1 || looking?.has(waiter)) continue;
      this.remove(waiter);
      waiter.deliver(jobs.slice(next, next + waiter.max));
      next += waiter.max;
    }
    return jobs.slice(next);
  }

  /** Wakes everyone (shutdown, or news that may have been missed). */
  wakeAll(): void {
    for (const topic of [...this.byTopic.keys()]) this.wake(topic, Number.POSITIVE_INFINITY);
  }

  /** Topics someone is waiting on. */
  topics(): string[] {
    return [...this.byTopic.keys()];
  }
}

function addTo(map: Map<string, Set<Waiter>>, topic: string, waiter: Waiter): void {
  let set = map.get(topic);
  if (!set) {
    set = new Set();
    map.set(topic, set);
  }
  set.add(waiter);
}

/** Deletes `waiter` from the set of `topic`, and the set once empty; true if it was there. */
function deleteFrom(map: Map<string, Set<Waiter>>, topic: string, waiter: Waiter): boolean {
  const set = map.get(topic);
  if (!set?.delete(waiter)) return false;
  if (set.size === 0) map.delete(topic);
  return true;
}
