import { QueueError } from "./errors.js";
import type { JobStore, StoredPush } from "./store.js";

/** One coalesced push's outcome, as `JobStore.push` reports it. */
export type CoalescedPush = { shard: number; dueAt: number; replaced: boolean } | "exists";

interface Pending {
  job: StoredPush;
  resolve(result: CoalescedPush): void;
  reject(error: unknown): void;
}

/** Jobs per script call, as in `storeMany`: amortises the call without stalling Redis. */
const maxPerCall = 500;

/**
 * Single pushes that arrive in the same event-loop turn (many concurrent
 * requests, say) go to Redis as one `push-batch` call per shard instead of one
 * `push` call each: fewer script calls for Redis, fewer commands to build here.
 * A lone push still goes as a `push` call. Each caller gets its own outcome.
 *
 * Calls reach Redis in the order they were made: the queue sends what is
 * waiting here ({@link flush}) before any other call.
 */
export class PushCoalescer {
  private byShard = new Map<number, Pending[]>();
  private scheduled = false;

  constructor(private readonly store: JobStore) {}

  push(job: StoredPush): Promise<CoalescedPush> {
    const shard = this.store.shardOf(job.id);
    return new Promise<CoalescedPush>((resolve, reject) => {
      const pending = this.byShard.get(shard);
      if (pending) pending.push({ job, resolve, reject });
      else this.byShard.set(shard, [{ job, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        // After the turn's I/O callbacks, the same phase ioredis flushes its auto-pipeline in.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends the pushes waiting for the end of the turn now. */
  flush(): void {
    if (this.byShard.size === 0) return;
    const byShard = this.byShard;
    this.byShard = new Map();
    for (const [shard, pending] of byShard) {
      for (let at = 0; at < pending.length; at += maxPerCall) {
        this.send(shard, pending.slice(at, at + maxPerCall));
      }
    }
  }

  private send(shard: number, pending: Pending[]): void {
    const [only] = pending;
    if (pending.length === 1 && only) {
      const { id, topic, body, delayMs, ttrMs, ifAbsent } = only.job;
      this.store.push(id, topic, body, delayMs, ttrMs, ifAbsent).then(only.resolve, only.reject);
      return;
    }
    this.store
      .pushBatch(
        shard,
        pending.map((p) => p.job),
      )
      .then(
        (results) =>
          pending.forEach((p, i) => {
            const result = results[i];
            if (result === undefined)
              p.reject(new QueueError("internal", "short push-batch reply"));
            else p.resolve(result === "exists" ? result : { shard, ...result });
          }),
        (error: unknown) => {
          for (const p of pending) p.reject(error);
        },
      );
  }
}
