import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { type Logger, pino } from "pino";
import { RedisClock } from "./clock.js";
import {
  InvalidArgumentError,
  JobExistsError,
  QueueClosedError,
  TooManyWaitingPopsError,
} from "./errors.js";
import { isValidPrefix } from "./keys.js";
import {
  checkBody,
  checkDuration,
  checkId,
  checkTopic,
  checkTopics,
  defaultLimits,
  type Limits,
} from "./limits.js";
import { Notifier } from "./notifier.js";
import { Scheduler } from "./scheduler.js";
import { JobStore } from "./store.js";
import type { Job, PopOptions, PushInput, PushResult, ReservedJob, SettleResult } from "./types.js";
import { type Waiter, WaiterRegistry } from "./waiters.js";

/** Options of {@link createDelayQueue}. */
export interface DelayQueueOptions {
  /** Redis to use: a URL or ioredis options. Default: `redis://127.0.0.1:6379`. */
  connection?: string | RedisOptions;
  /** Prefix of every key and of the notification channel. Default: `dq`. */
  prefix?: string;
  /** Number of shards jobs are spread over, by hash of id. Default: 3. */
  shards?: number;
  /** Limits on jobs; unset ones keep DESIGN §2's defaults. */
  limits?: Partial<Limits>;
  /** Run the scheduler in this process. Default: true. */
  scheduler?: boolean;
  /** Most jobs one promote call moves. Default: 1000. */
  promoteBatch?: number;
  /** Longest scheduler sleep when nothing is known to be due, ms. Default: 5000. */
  maxSchedulerSleepMs?: number;
  /** How often parked pops re-check Redis in case news was missed, ms. Default: 1000. */
  recheckIntervalMs?: number;
  /** Structured logger. Default: silent. */
  logger?: Logger;
}

/** A handle on the queue; `close()` releases it. */
export interface DelayQueue {
  readonly limits: Readonly<Limits>;
  /** Key prefix in use. */
  readonly prefix: string;
  /** Number of shards in use. */
  readonly shards: number;
  /** Creates a job, or replaces the job with the same id (unless `ifAbsent`). */
  push(input: PushInput): Promise<PushResult>;
  /**
   * Takes the oldest ready job of the first topic (in order) that has one,
   * waiting up to `timeoutMs` for one; `null` when none came. With
   * `limits.maxWaitingPops` long-polls already running, one that finds no
   * job at once throws TooManyWaitingPopsError instead of waiting.
   */
  pop(topics: readonly string[], options?: PopOptions): Promise<ReservedJob | null>;
  /**
   * The consumer is done: removes the job. With `token`, only while it is still
   * reserved by that hand-out (a late or superseded consumer removes nothing).
   */
  finish(id: string, token?: string): Promise<SettleResult>;
  /** Hands a reserved job back: ready now, or after `delayMs`. */
  release(id: string, options?: { token?: string; delayMs?: number }): Promise<SettleResult>;
  /** Removes a job whatever its state; false if there was none. */
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<Job | null>;
  /** The command connection, for health checks. */
  readonly redis: Redis;
  /** Parked pops in this process. */
  readonly waiting: number;
  /** Pops with a timeout running in this process, parked or looking: at most `maxWaitingPops`. */
  readonly longPolls: number;
  /** Stops taking calls, ends parked pops with `null`, waits for calls in flight, closes Redis. */
  close(): Promise<void>;
}

/**
 * Reconnect after 50, 100, … ms, at most 250 ms apart. With `maxRetriesPerRequest: 1`
 * ioredis fails the calls waiting for a connection at every second failed attempt, and
 * with auto-pipelining a call can wait for two such rounds: so while Redis is down a call
 * fails within about a second. (ioredis' own 2 s cap made calls wait up to 8 s.)
 */
const retryStrategy = (attempt: number): number => Math.min(attempt * 50, 250);

const defaultConnection: RedisOptions = { host: "127.0.0.1", port: 6379, retryStrategy };

function connect(connection: string | RedisOptions | undefined, name: string): Redis {
  const base: RedisOptions = {
    connectionName: name,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  };
  if (typeof connection === "string") return new Redis(connection, { retryStrategy, ...base });
  return new Redis({ ...defaultConnection, ...connection, ...base });
}

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
    this.scheduler =
      options.scheduler === false
        ? undefined
        : new Scheduler(this.store, this.clock, {
            batchSize: options.promoteBatch ?? 1000,
            maxSleepMs: options.maxSchedulerSleepMs ?? 5000,
            logger: this.logger,
            onReady: (topics) => {
              for (const [topic, count] of topics) this.waiters.wake(topic, count);
            },
          });
    this.notifier = new Notifier(
      this.subscriber,
      this.store.channel,
      origin,
      {
        onReady: (topic, count) => this.waiters.wake(topic, count),
        onDue: (shard, dueMs) => this.scheduler?.hint(shard, dueMs),
        onResync: () => {
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
      const id = checkId(input.id, this.limits);
      const topic = checkTopic(input.topic, this.limits);
      const body = checkBody(input.body, this.limits);
      const delayMs = checkDuration(input.delayMs, "delay", 0, this.limits.maxDelayMs);
      const ttrMs = checkDuration(input.ttrMs, "ttr", this.limits.minTtrMs, this.limits.maxTtrMs);
      const result = await this.store.push(
        id,
        topic,
        body,
        delayMs,
        ttrMs,
        input.ifAbsent === true,
      );
      if (result === "exists") throw new JobExistsError(id);
      if (delayMs === 0) this.waiters.wake(topic, 1);
      else this.scheduler?.hint(result.shard, result.dueAt);
      return { dueAt: result.dueAt, replaced: result.replaced };
    });
  }

  pop(topics: readonly string[], options: PopOptions = {}): Promise<ReservedJob | null> {
    return this.track(async () => {
      const wanted = checkTopics(topics, this.limits);
      const timeoutMs = checkDuration(
        options.timeoutMs ?? 0,
        "timeout",
        0,
        this.limits.maxPopTimeoutMs,
      );
      if (timeoutMs === 0) return this.popLoop(wanted, 0, options.signal);
      if (this.longPollCount >= this.limits.maxWaitingPops) {
        // Full: a job that is ready now is still handed out; only waiting is refused.
        const job = await this.popLoop(wanted, 0, options.signal);
        if (job) return job;
        throw new TooManyWaitingPopsError(this.limits.maxWaitingPops);
      }
      this.longPollCount++;
      try {
        return await this.popLoop(wanted, timeoutMs, options.signal);
      } finally {
        this.longPollCount--;
      }
    });
  }

  private async popLoop(
    topics: string[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ReservedJob | null> {
    const deadline = performance.now() + timeoutMs;
    while (!signal?.aborted) {
      // Park before looking, so news arriving during the reserve is not missed.
      const waiter = timeoutMs > 0 && !this.closing ? this.waiters.add(topics) : undefined;
      let job: ReservedJob | null;
      try {
        job = await this.reserveAny(topics);
      } catch (error) {
        if (waiter) this.unpark(waiter);
        throw error;
      }
      if (job) {
        // A wake-up that came during the look may be about a job it did not take: pass it on.
        if (waiter) this.unpark(waiter);
        if (!signal?.aborted) return job;
        // The caller left while the reserve was in flight: hand the job straight back.
        await this.store.release(job.id, job.token, 0, true);
        this.waiters.wake(job.topic, 1);
        return null;
      }
      if (!waiter) return null;
      this.waiters.looked(waiter);
      // News that came during the look may be about a shard it had already passed: look again.
      const again = waiter.newsWhileLooking && performance.now() < deadline;
      const outcome = again ? "woken" : await waiter.wait(deadline - performance.now(), signal);
      if (outcome !== "woken" || this.closing) {
        this.unpark(waiter);
        return null;
      }
      this.waiters.remove(waiter);
    }
    return null;
  }

  /** Unparks `waiter`; news it received but did not use passes to the next waiter. */
  private unpark(waiter: Waiter): void {
    this.waiters.remove(waiter);
    const topic = waiter.wokenBy;
    if (topic !== undefined && !this.closing) this.waiters.wake(topic, 1);
  }

  private async reserveAny(topics: readonly string[]): Promise<ReservedJob | null> {
    for (const shard of await this.shardOrder(topics)) {
      let result = await this.store.reserve(shard, topics);
      while (result.jobs.length === 0 && result.again)
        result = await this.store.reserve(shard, topics);
      const [job] = result.jobs;
      if (job) {
        this.scheduler?.hint(shard, job.reservedUntil);
        return job;
      }
    }
    return null;
  }

  /**
   * Shards to try, in order. One topic: round-robin, since any shard's oldest
   * job will do. Several: look first, so a later topic in one shard does not
   * win over an earlier topic in another.
   */
  private async shardOrder(topics: readonly string[]): Promise<number[]> {
    const count = this.store.shards.length;
    const start = this.rotation++ % count;
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
    return this.track(() => this.store.finish(checkId(id, this.limits), token));
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
        if (delayMs === 0) this.waiters.wake(released.topic, 1);
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

  private track<T>(call: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new QueueClosedError());
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
