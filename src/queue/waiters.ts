/** Why a parked pop stopped waiting. */
export type WaitOutcome = "woken" | "timeout" | "aborted";

/** One parked pop: woken at most once, by a topic it waits on. */
export class Waiter {
  /** The topic whose news woke this waiter, once woken. */
  wokenBy: string | undefined;
  private notify: (() => void) | undefined;

  constructor(readonly topics: readonly string[]) {}

  wake(topic: string): void {
    if (this.wokenBy !== undefined) return;
    this.wokenBy = topic;
    this.notify?.();
  }

  /** Resolves when woken, after `ms`, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<WaitOutcome> {
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
 */
export class WaiterRegistry {
  private readonly byTopic = new Map<string, Set<Waiter>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(topics: readonly string[]): Waiter {
    const waiter = new Waiter(topics);
    for (const topic of topics) {
      let set = this.byTopic.get(topic);
      if (!set) {
        set = new Set();
        this.byTopic.set(topic, set);
      }
      set.add(waiter);
    }
    this.count++;
    return waiter;
  }

  remove(waiter: Waiter): void {
    let found = false;
    for (const topic of waiter.topics) {
      const set = this.byTopic.get(topic);
      if (set?.delete(waiter)) {
        found = true;
        if (set.size === 0) this.byTopic.delete(topic);
      }
    }
    if (found) this.count--;
  }

  /** Wakes up to `count` waiters of `topic`; returns how many woke. */
  wake(topic: string, count: number): number {
    const set = this.byTopic.get(topic);
    if (!set) return 0;
    let woken = 0;
    for (const waiter of set) {
      if (woken >= count) break;
      this.remove(waiter);
      waiter.wake(topic);
      woken++;
    }
    return woken;
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
