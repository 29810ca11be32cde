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
import { Handoff } from "./handoff.js";
import { isValidPrefix } from "./keys.js";
import { checkDuration, checkId, checkTopics, defaultLimits, type Limits } from "./limits.js";
import { Notifier } from "./notifier.js";
import { type CoalescedPush, pushCoalescer } from "./push-coalescer.js";
import { checkPush, checkPushes, storeMany } from "./push-many.js";
import { type ReserveRequest, type ReserveShare, reserveCoalescer } from "./reserve-coalescer.js";
import { Scheduler } from "./scheduler.js";
import { JobStore, type StoredPush } from "./store.js";
import type { TurnBatch } from "./turn-batch.js";
import type {
  Job,
  PopOptions,
  PushInput,
  PushManyResult,
  PushResult,
  ReservedJob,
  SettleResult,
} from "./types.js";
import { type Waiter, WaiterRegistry } from "./waiters.js";

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
  private readonly clock = new RedisClock();
  private readonly waiters = new WaiterRegistry();
  private readonly scheduler: Scheduler | undefined;
  private readonly notifier: Notifier;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly recheckIntervalMs: number;
  private recheckTimer: NodeJS.Timeout | undefined;
  private rotation = 0;
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
      return { dueAt: result.dueAt, replaced: result.replaced };
    }, [this.finishes]);
  }

  pushMany(inputs: readonly PushInput[]): Promise<PushManyResult[]> {
    return this.track(async () => {
      const { results, effects } = await storeMany(this.store, checkPushes(inputs, this.limits));
      for (const [topic, count] of effects.ready) this.waiters.wake(topic, count);
      for (const [shard, dueAt] of effects.earliest) this.scheduler?.hint(shard, dueAt);
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
      if (timeoutMs === 0) return this.popLoop(wanted, count, 0, options.signal);
      if (this.longPollCount >= this.limits.maxWaitingPops) {
        // Full: jobs that are ready now are still handed out; only waiting is refused.
        const jobs = await this.popLoop(wanted, count, 0, options.signal);
        if (jobs.length > 0) return jobs;
        throw new TooManyWaitingPopsError(this.limits.maxWaitingPops);
      }
      this.longPollCount++;
      try {
        return await this.popLoop(wanted, count, timeoutMs, options.signal);
      } finally {
        this.longPollCount--;
      }
    }, [this.pushes]);
  }

  private async popLoop(
    topics: string[],
    max: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ReservedJob[]> {
    const deadline = performance.now() + timeoutMs;
    let lookFirst: number | undefined;
    while (!signal?.aborted) {
      // Park before looking, so news arriving during the reserve is not missed.
      const waiter = timeoutMs > 0 && !this.closing ? this.waiters.add(topics, max) : undefined;
      let jobs: ReservedJob[];
      try {
        jobs = await this.reserveAny(topics, max, lookFirst, waiter !== undefined);
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
      this.waiters.looked(waiter);
      // News that came during the look may be about a shard it had already passed: look again.
      const again = waiter.newsWhileLooking && performance.now() < deadline;
      const outcome = again ? "woken" : await waiter.wait(deadline - performance.now(), signal);
      if (waiter.delivered) return this.taken(waiter.delivered, signal);
      if (outcome !== "woken" || this.closing) {
        this.unpark(waiter);
        return [];
      }
      this.waiters.remove(waiter);
      lookFirst = waiter.wokenShard;
    }
    return [];
  }

  /** Jobs reserved for a pop: its answer, or, if the caller left meanwhile, handed straight back. */
  private async taken(
    jobs: ReservedJob[],
    signal: AbortSignal | undefined,
  ): Promise<ReservedJob[]> {
    if (!signal?.aborted) return jobs;
    await Promise.all(jobs.map((job) => this.store.release(job.id, job.token, 0, true)));
    for (const job of jobs) this.waiters.wake(job.topic, 1, this.store.shardOf(job.id));
    return [];
  }

  /** Unparks `waiter`; news it received but did not use passes to the next waiter. */
  private unpark(waiter: Waiter): void {
    this.waiters.remove(waiter);
    const topic = waiter.wokenBy;
    if (topic !== undefined && !this.closing) this.waiters.wake(topic, 1, waiter.wokenShard);
  }

  /**
   * Reserves up to `max` jobs, shard by shard in {@link shardOrder}, until it has them or
   * has tried every shard; a parked pop of one topic skips shards its hints say are empty.
   */
  private async reserveAny(
    topics: readonly string[],
    max: number,
    lookFirst: number | undefined,
    parked: boolean,
  ): Promise<ReservedJob[]> {
    const taken: ReservedJob[] = [];
    const [topic] = topics;
    const hints = this.waiters.hints;
    // Only a parked pop may skip a shard: news of a job landing there meanwhile wakes it.
    // A pop that looks once must see every job acknowledged before it, whoever pushed it.
    const single = parked && topics.length === 1 && topic !== undefined;
    for (const shard of await this.shardOrder(topics, lookFirst)) {
      if (single && hints.isEmpty(topic, shard)) continue;
      const version = single ? hints.version(topic) : 0;
      this.pushes.flush();
      let result = await this.reserves.add({ shard, topics, max: max - taken.length });
      taken.push(...result.jobs);
      while (result.again && taken.length < max) {
        result = await this.reserves.add({ shard, topics, max: max - taken.length });
        taken.push(...result.jobs);
      }
      if (single && taken.length < max) hints.lookedEmpty(topic, shard, version);
      const earliest = result.jobs.reduce((at, job) => Math.min(at, job.reservedUntil), Infinity);
      if (earliest < Infinity) this.scheduler?.hint(shard, earliest);
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
    const count = this.store.shards.length;
    const start = lookFirst ?? this.rotation++ % count;
    const rotated = Array.from({ length: count }, (_, i) => (start + i) % count);
    if (count === 1 || topics.length === 1) return rotated;
    const lengths = await this.store.readyLengths(topics);
    const rank = (shard: number) => {
      const index = lengths.findIndex((perShard) => (perShard[shard] ?? 0) > 0);
      return index === -1 ? Number.POSITIVE_INFINITY : index;
    };
    return rotated.filter((shard) => rank(shard) < Infinity).sort((a, b) => rank(a) - rank(b));
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
    return this.track(
      () => this.finishes.add({ id: checkId(id, this.limits), token }),
      [this.pushes],
    );
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
      if (released.result === "done" && released.topic !== undefined) {
        if (delayMs === 0) this.waiters.wake(released.topic, 1, released.shard);
        else this.scheduler?.hint(released.shard, released.dueAt ?? 0);
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
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
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
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(
      [this.subscriber, this.redis].map((client) =>
        client.status === "ready" ? client.quit() : client.disconnect(),
      ),
    );
  }
}
