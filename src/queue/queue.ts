import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { type Logger, pino } from "pino";
import type { DelayQueue, DelayQueueOptions } from "./api.js";
import { RedisClock } from "./clock.js";
import { connect } from "./connection.js";
import {
  InvalidArgumentError,
  JobExistsError,
  QueueClosedError,
  TooManyWaitingPopsError,
} from "./errors.js";
import { type FinishRequest, finishCoalescer } from "./finish-coalescer.js";
import { finishMany } from "./finish-many.js";
import { Handoff } from "./handoff.js";
import { InFlight } from "./in-flight.js";
import { doneCount, type JobCounts, newJobCounts } from "./job-counts.js";
import { isValidPrefix } from "./keys.js";
import { checkDuration, checkId, checkTopics, defaultLimits, type Limits } from "./limits.js";
import { Notifier } from "./notifier.js";
import { PopLoop } from "./pop-loop.js";
import { type CoalescedPush, pushCoalescer } from "./push-coalescer.js";
import { checkPush, checkPushes, storeMany } from "./push-many.js";
import { type ReserveRequest, type ReserveShare, reserveCoalescer } from "./reserve-coalescer.js";
import { Scheduler } from "./scheduler.js";
import { ShardLook } from "./shard-look.js";
import { JobStore, type StoredPush } from "./store.js";
import type { TurnBatch } from "./turn-batch.js";
import type {
  FinishInput,
  Job,
  PopOptions,
  PushInput,
  PushManyResult,
  PushResult,
  ReservedJob,
  SettleResult,
} from "./types.js";
import { WaiterRegistry } from "./waiters.js";

/** A batch of coalesced calls, as `track` flushes it. */
type Flushable = { flush(): void };

/** Connects to Redis, subscribes to notifications and starts the scheduler. */
export async function createDelayQueue(options: DelayQueueOptions = {}): Promise<DelayQueue> {
  const prefix = options.prefix ?? "dq";
  if (!isValidPrefix(prefix)) {
    throw new InvalidArgumentError("prefix", "prefix must be 1-64 of [A-Za-z0-9._-]");
  }
  const shards = options.shards ?? 3;
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) {
    throw new InvalidArgumentError("shards", "shards must be a whole number from 1 to 1024");
  }
  const queue = new QueueHandle(options, prefix, shards);
  try {
    await queue.open();
  } catch (error) {
    await queue.close();
    throw error;
  }
  return queue;
}

class QueueHandle implements DelayQueue {
  readonly limits: Readonly<Limits>;
  readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly store: JobStore;
  private readonly pushes: TurnBatch<StoredPush, CoalescedPush>;
  private readonly reserves: TurnBatch<ReserveRequest, ReserveShare>;
  private readonly finishes: TurnBatch<FinishRequest, SettleResult>;
  private readonly pops: PopLoop;
  private readonly clock = new RedisClock();
  private readonly waiters = new WaiterRegistry();
  private readonly scheduler: Scheduler | undefined;
  private readonly notifier: Notifier;
  private readonly logger: Logger;
  private readonly inFlight = new InFlight();
  private readonly recheckIntervalMs: number;
  private recheckTimer: NodeJS.Timeout | undefined;
  private longPollCount = 0;
  private closing: Promise<void> | undefined;

  constructor(
    options: DelayQueueOptions,
    readonly prefix: string,
    readonly shards: number,
  ) {
    this.limits = Object.freeze({ ...defaultLimits, ...options.limits });
    this.logger = options.logger ?? pino({ level: "silent" });
    this.recheckIntervalMs = options.recheckIntervalMs ?? 1000;
    const origin = randomUUID().slice(0, 8);
    this.redis = connect(options.connection, `${prefix}:${origin}`);
    this.subscriber = connect(options.connection, `${prefix}:${origin}:sub`);
    for (const client of [this.redis, this.subscriber]) {
      client.on("error", (err: Error) => this.logger.warn({ err }, "redis connection error"));
    }
    this.store = new JobStore(this.redis, { prefix, shards, origin, staleLimit: 200 });
    this.pushes = pushCoalescer(this.store);
    this.reserves = reserveCoalescer(this.store);
    this.finishes = finishCoalescer(this.store);
    const look = new ShardLook({
      store: this.store,
      waiters: this.waiters,
      reserves: this.reserves,
      flushPushes: () => this.pushes.flush(),
      reservedUntil: (shard, dueMs) => this.scheduler?.hint(shard, dueMs),
    });
    this.pops = new PopLoop({
      store: this.store,
      waiters: this.waiters,
      look,
      closing: () => this.closing !== undefined,
    });
    const handoff = new Handoff(this.store, this.waiters, this.logger);
    this.scheduler =
      options.scheduler === false
        ? undefined
        : new Scheduler(this.store, this.clock, {
            batchSize: options.promoteBatch ?? 1000,
            maxSleepMs: options.maxSchedulerSleepMs ?? 5000,
            logger: this.logger,
            onReady: (topics, shard) => {
              for (const [topic, count] of topics) this.waiters.wake(topic, count, shard);
            },
            claim: () => handoff.claim(),
            unclaim: (demand) => handoff.unclaim(demand),
            onReserved: (jobs, shard) => handoff.deliver(jobs, shard),
          });
    this.notifier = new Notifier(
      this.subscriber,
      this.store.channel,
      origin,
      {
        onReady: (topic, count) => this.waiters.wake(topic, count),
        onDue: (shard, dueMs) => this.scheduler?.hint(shard, dueMs),
        onResync: () => {
          this.waiters.hints.forgetAll();
          this.scheduler?.kickAll();
          void this.recheck();
        },
      },
      this.logger,
    );
  }

  /** Jobs pushed, handed out, finished and released by this engine since it started. */
  readonly counts: JobCounts = newJobCounts();

  get waiting(): number {
    return this.waiters.size;
  }

  get longPolls(): number {
    return this.longPollCount;
  }

  async open(): Promise<void> {
    await Promise.all([this.redis.connect(), this.subscriber.connect()]);
    await this.notifier.start();
    this.scheduler?.kickAll();
    this.recheckTimer = setInterval(() => void this.recheck(), this.recheckIntervalMs);
    this.recheckTimer.unref();
  }

  push(input: PushInput): Promise<PushResult> {
    return this.track(async () => {
      const job = checkPush(input, this.limits);
      const result = await this.pushes.add(job);
      if (result === "exists") throw new JobExistsError(job.id);
      if (job.delayMs === 0) this.waiters.wake(job.topic, 1, result.shard);
      else this.scheduler?.hint(result.shard, result.dueAt);
      this.counts.pushed++;
      return { dueAt: result.dueAt, replaced: result.replaced };
    }, [this.finishes]);
  }

  pushMany(inputs: readonly PushInput[]): Promise<PushManyResult[]> {
    return this.track(async () => {
      const { results, effects } = await storeMany(this.store, checkPushes(inputs, this.limits));
      for (const [topic, count] of effects.ready) this.waiters.wake(topic, count);
      for (const [shard, dueAt] of effects.earliest) this.scheduler?.hint(shard, dueAt);
      for (const result of results) if (!result.refused) this.counts.pushed++;
      return results;
    });
  }

  async pop(topics: readonly string[], options: PopOptions = {}): Promise<ReservedJob | null> {
    const [job] = await this.popMany(topics, 1, options);
    return job ?? null;
  }

  popMany(
    topics: readonly string[],
    max: number,
    options: PopOptions = {},
  ): Promise<ReservedJob[]> {
    return this.track(async () => {
      const wanted = checkTopics(topics, this.limits);
      const count = checkDuration(max, "max", 1, this.limits.maxBatchJobs);
      const timeoutMs = checkDuration(
        options.timeoutMs ?? 0,
        "timeout",
        0,
        this.limits.maxPopTimeoutMs,
      );
      if (timeoutMs === 0)
        return this.handedOut(await this.pops.run(wanted, count, 0, options.signal));
      if (this.longPollCount >= this.limits.maxWaitingPops) {
        // Full: jobs that are ready now are still handed out; only waiting is refused.
        const jobs = await this.pops.run(wanted, count, 0, options.signal);
        if (jobs.length > 0) return this.handedOut(jobs);
        throw new TooManyWaitingPopsError(this.limits.maxWaitingPops);
      }
      this.longPollCount++;
      try {
        return this.handedOut(await this.pops.run(wanted, count, timeoutMs, options.signal));
      } finally {
        this.longPollCount--;
      }
    }, [this.pushes]);
  }

  private handedOut(jobs: ReservedJob[]): ReservedJob[] {
    this.counts.popped += jobs.length;
    return jobs;
  }

  /** Safety net under lost notifications: wake waiters of topics that have ready entries. */
  private async recheck(): Promise<void> {
    const topics = this.waiters.topics();
    if (topics.length === 0 || this.closing) return;
    try {
      const lengths = await this.store.readyLengths(topics);
      topics.forEach((topic, i) => {
        const total = (lengths[i] ?? []).reduce((sum, n) => sum + n, 0);
        if (total > 0) this.waiters.wake(topic, total);
      });
    } catch (err) {
      this.logger.debug({ err }, "waiter re-check failed");
    }
  }

  finish(id: string, token = ""): Promise<SettleResult> {
    return this.track(async () => {
      const result = await this.finishes.add({ id: checkId(id, this.limits), token });
      if (result === "done") this.counts.finished++;
      return result;
    }, [this.pushes]);
  }

  finishMany(jobs: readonly FinishInput[]): Promise<SettleResult[]> {
    return this.track(async () => {
      const results = await finishMany(this.finishes, jobs, this.limits);
      this.counts.finished += doneCount(results);
      return results;
    }, [this.pushes]);
  }

  release(id: string, options: { token?: string; delayMs?: number } = {}): Promise<SettleResult> {
    return this.track(async () => {
      const delayMs = checkDuration(options.delayMs ?? 0, "delay", 0, this.limits.maxDelayMs);
      const released = await this.store.release(
        checkId(id, this.limits),
        options.token ?? "",
        delayMs,
        false,
      );
      if (released.result === "done") {
        this.counts.released++;
        if (released.topic !== undefined) {
          if (delayMs === 0) this.waiters.wake(released.topic, 1, released.shard);
          else this.scheduler?.hint(released.shard, released.dueAt ?? 0);
        }
      }
      return released.result;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.track(() => this.store.delete(checkId(id, this.limits)));
  }

  get(id: string): Promise<Job | null> {
    return this.track(() => this.store.get(checkId(id, this.limits)));
  }

  /**
   * Runs a call of the public API: refused once closing, counted in flight until settled.
   * Calls waiting to be coalesced go first (`flush`: all of them unless the call names
   * fewer), so that a call reaches Redis after those made before it that it could
   * conflict with: a push after finishes, a pop or a finish after pushes, anything else
   * after all of them. A pop and a finish made in the same turn are concurrent calls and
   * either order is one they could have had, so they coalesce side by side.
   */
  private track<T>(call: () => Promise<T>, flush?: readonly Flushable[]): Promise<T> {
    if (this.closing) return Promise.reject(new QueueClosedError());
    for (const batch of flush ?? [this.pushes, this.reserves, this.finishes]) batch.flush();
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (error) {
      // Validation throws synchronously; callers always get a rejected promise.
      return Promise.reject(error);
    }
    this.inFlight.add(promise);
    return promise;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.recheckTimer);
    this.waiters.wakeAll();
    await this.scheduler?.stop();
    await this.inFlight.settled();
    await Promise.allSettled(
      [this.subscriber, this.redis].map((client) =>
        client.status === "ready" ? client.quit() : client.disconnect(),
      ),
    );
  }
}
