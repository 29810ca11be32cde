import type { Redis } from "ioredis";
import { createDelayQueue, type DelayQueue } from "../../src/queue/index.js";
import type { Ceiling } from "./ceiling.js";
import type { BenchConfig, Protocol } from "./config.js";
import type { LoadResult } from "./load-h1.js";
import { CpuMeter } from "./proc.js";
import type { BenchRedis } from "./redis.js";
import { resetRedis } from "./redis-info.js";
import type { BenchServer } from "./server.js";
import type { Row } from "./table.js";

/** The database the server uses (its default `redis.db`, as the Go service's). */
export const DQ_DB = 1;
/** The database the BullMQ peer uses, on the same Redis. */
export const BULL_DB = 0;

/** What every scenario gets: the processes of the run and where to put its rows. */
export interface BenchContext {
  readonly config: BenchConfig;
  readonly redis: BenchRedis;
  /** The server under test; `restartServer` replaces it. */
  server: BenchServer;
  readonly ceiling: Ceiling;
  readonly hasH2load: boolean;
  readonly rows: Row[];
  /** What is left of the run's budget for waiting on a quiet box, ms. */
  quietBudgetMs: number;
  /** Ceiling measurements already taken in this run, by protocol and concurrency. */
  readonly ceilings: Map<string, LoadResult>;
  /** The ceiling at `protocol`/`connections`, measured once per run (the push scenario fills it). */
  ceilingFor(protocol: Protocol, connections: number): Promise<LoadResult>;
  /** Sets the measure of the ceiling (used by the push scenario, which takes it interleaved). */
  recordCeiling(protocol: Protocol, connections: number, result: LoadResult): void;
  /** Measures the ceiling now, for a ratio against a load measured just before (the box's speed drifts). */
  ceilingNow(protocol: Protocol, connections: number): Promise<LoadResult>;
  /** A connection to the server's database; closed at the end of the run. */
  dqRedis(): Redis;
  /** An in-process engine on the same Redis (setup and library-level rows), closed by the caller. */
  engine(options?: { prefix?: string; scheduler?: boolean }): Promise<DelayQueue>;
  /** Empties Redis and resets its command statistics. */
  reset(): Promise<void>;
  /** Stops the server and starts a fresh process in its place (same settings, same Redis). */
  restartServer(): Promise<void>;
  /** CPU used by the server, Redis, the ceiling and this process from now on. */
  cpu(): CpuMeter;
}

export function engineOptions(ctx: Pick<BenchContext, "redis" | "config">, prefix = "dq") {
  return {
    connection: { host: ctx.redis.host, port: ctx.redis.port, db: DQ_DB },
    prefix,
    shards: ctx.config.shards,
  };
}

export function buildContext(parts: {
  config: BenchConfig;
  redis: BenchRedis;
  server: BenchServer;
  ceiling: Ceiling;
  hasH2load: boolean;
  launchServer: () => Promise<BenchServer>;
  measureCeiling: (
    ctx: BenchContext,
    protocol: Protocol,
    connections: number,
  ) => Promise<LoadResult>;
}): BenchContext {
  const ceilings = new Map<string, LoadResult>();
  const ctx: BenchContext = {
    config: parts.config,
    redis: parts.redis,
    server: parts.server,
    ceiling: parts.ceiling,
    hasH2load: parts.hasH2load,
    rows: [],
    quietBudgetMs: parts.config.quietWaitMs,
    ceilings,
    async ceilingFor(protocol, connections) {
      const key = `${protocol}/${connections}`;
      let result = ceilings.get(key);
      if (!result) {
        result = await parts.measureCeiling(ctx, protocol, connections);
        ceilings.set(key, result);
      }
      return result;
    },
    ceilingNow: (protocol, connections) => parts.measureCeiling(ctx, protocol, connections),
    recordCeiling(protocol, connections, result) {
      ceilings.set(`${protocol}/${connections}`, result);
    },
    dqRedis: () => parts.redis.client(DQ_DB),
    async engine(options = {}) {
      return createDelayQueue({
        ...engineOptions(ctx, options.prefix),
        scheduler: options.scheduler ?? false,
      });
    },
    reset: () => resetRedis(parts.redis.admin),
    async restartServer() {
      await ctx.server.stop();
      ctx.server = await parts.launchServer();
    },
    cpu() {
      return new CpuMeter({
        server: ctx.server.pid,
        redis: parts.redis.pid,
        ceiling: parts.ceiling.pid,
        harness: process.pid,
      });
    },
  };
  return ctx;
}
