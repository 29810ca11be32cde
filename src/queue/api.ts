import type { Redis, RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { JobCounts } from "./job-counts.js";
import type { Limits } from "./limits.js";
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

/** Options of `createDelayQueue`. */
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
   * Pushes up to `limits.maxBatchJobs` jobs at once, each as `push` would.
   * The whole batch is checked first: one invalid job rejects it, and nothing
   * is written. A job refused by `ifAbsent` is reported, not thrown.
   */
  pushMany(inputs: readonly PushInput[]): Promise<PushManyResult[]>;
  /**
   * Takes the oldest ready job of the first topic (in order) that has one,
   * waiting up to `timeoutMs` for one; `null` when none came. With
   * `limits.maxWaitingPops` long-polls already running, one that finds no
   * job at once throws TooManyWaitingPopsError instead of waiting.
   */
  pop(topics: readonly string[], options?: PopOptions): Promise<ReservedJob | null>;
  /**
   * Like `pop`, for up to `max` jobs at once: returns as soon as it has at
   * least one (it does not wait to fill `max`); an empty array when none came.
   */
  popMany(topics: readonly string[], max: number, options?: PopOptions): Promise<ReservedJob[]>;
  /**
   * The consumer is done: removes the job. With `token`, only while it is still
   * reserved by that hand-out (a late or superseded consumer removes nothing).
   */
  finish(id: string, token?: string): Promise<SettleResult>;
  /**
   * Finishes up to `limits.maxBatchJobs` jobs at once, each as `finish` would;
   * one result per job, in order. Every id is checked first: one invalid id
   * rejects the call (naming its index) and nothing is finished. An empty
   * list finishes nothing and resolves `[]`.
   */
  finishMany(jobs: readonly FinishInput[]): Promise<SettleResult[]>;
  /** Hands a reserved job back: ready now, or after `delayMs`. */
  release(id: string, options?: { token?: string; delayMs?: number }): Promise<SettleResult>;
  /** Removes a job whatever its state; false if there was none. */
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<Job | null>;
  /** The command connection, for health checks. */
  readonly redis: Redis;
  /** Jobs pushed, handed out, finished and released by this engine since it started. */
  readonly counts: Readonly<JobCounts>;
  /** Parked pops in this process. */
  readonly waiting: number;
  /** Pops with a timeout running in this process, parked or looking: at most `maxWaitingPops`. */
  readonly longPolls: number;
  /** Stops taking calls, ends parked pops with `null`, waits for calls in flight, closes Redis. */
  close(): Promise<void>;
}
