import { fromBinary } from "@bufbuild/protobuf";
import type { Redis } from "ioredis";
import { PopResponseSchema } from "../../gen/delayqueue/v1/delay_queue_pb.js";
import type { Protocol } from "./config.js";
import type { BenchContext } from "./context.js";
import { type LoadResult, runH1 } from "./load-h1.js";
import { runH2 } from "./load-h2.js";
import { finishRequest, popRequest, SERVICE_PATH } from "./messages.js";
import { h2Split } from "./push-load.js";

/** What consumers saw: every id popped (and how often), finishes, empty pops. */
export class ConsumeTracker {
  readonly popped = new Map<string, number>();
  finished = 0;
  empties = 0;
  emptyStreak = 0;

  constructor(
    /** Called with each job popped: its id, its body when the protocol gives it cheaply, and when. */
    private readonly onJob?: (id: string, body: string | undefined, receivedAt: number) => void,
  ) {}

  job(id: string, body: string | undefined): void {
    this.emptyStreak = 0;
    this.popped.set(id, (this.popped.get(id) ?? 0) + 1);
    this.onJob?.(id, body, performance.timeOrigin + performance.now());
  }

  empty(): void {
    this.empties++;
    this.emptyStreak++;
  }

  get duplicates(): number {
    let dup = 0;
    for (const count of this.popped.values()) dup += count - 1;
    return dup;
  }
}

export interface ConsumeOptions {
  topic: string;
  connections: number;
  durationMs: number;
  /** Long-poll wait of each pop, seconds (0: try once). */
  popTimeoutS: number;
  tracker: ConsumeTracker;
  /** Ids look like `<idPrefix><10 digits>` (to find them in a binary Connect reply read as text). */
  idPrefix: string;
  until?: () => boolean;
}

/**
 * Closed-loop consumers: each connection pops one job and finishes it, over
 * and over. Legacy and Connect (binary) over HTTP/1.1 with autocannon, gRPC
 * with the raw HTTP/2 client of `raw-grpc.ts` (h2load cannot chain calls).
 */
export function consumeLoad(
  ctx: BenchContext,
  protocol: Protocol,
  options: ConsumeOptions,
): Promise<LoadResult> {
  const { tracker, topic } = options;
  const base = {
    url: ctx.server.url,
    connections: options.connections,
    durationMs: options.durationMs,
    ...(options.until ? { until: options.until } : {}),
  };
  if (protocol === "legacy") {
    return runH1({
      ...base,
      requests: [
        {
          path: "/pop",
          body: () => `{"topic":"${topic}","timeout":${options.popTimeoutS}}`,
          check: (_status, text, context) => {
            const reply = JSON.parse(text) as {
              code: number;
              data: { id: string; body: string } | null;
            };
            if (reply.code !== 0) return false;
            context.id = reply.data?.id;
            if (reply.data) tracker.job(reply.data.id, reply.data.body);
            else tracker.empty();
            return true;
          },
        },
        finishStep(
          tracker,
          (id) => `{"id":"${id}"}`,
          (text) => text.startsWith('{"code":0'),
        ),
      ],
    });
  }
  if (protocol === "connect") {
    // autocannon hands bodies over as UTF-8 text: ids and bodies are ASCII, so they survive.
    const idPattern = new RegExp(`${options.idPrefix}\\d{10}`);
    const bodyPattern = /ts:[\d.]+:[\d.]+;/;
    const pop = Buffer.from(popRequest([topic], options.popTimeoutS));
    return runH1({
      ...base,
      requests: [
        {
          path: `${SERVICE_PATH}/Pop`,
          headers: { "content-type": "application/proto" },
          body: () => pop,
          check: (_status, text, context) => {
            const id = idPattern.exec(text)?.[0];
            context.id = id;
            if (id) tracker.job(id, bodyPattern.exec(text)?.[0]);
            else tracker.empty();
            return true;
          },
        },
        {
          ...finishStep(
            tracker,
            (id) => Buffer.from(finishRequest(id)),
            () => true,
          ),
          headers: { "content-type": "application/proto" },
          path: `${SERVICE_PATH}/Finish`,
        },
      ],
    });
  }
  const pop = popRequest([topic], options.popTimeoutS);
  return runH2({
    ...base,
    protocol: "grpc",
    // As lean per call as autocannon is for the HTTP/1.1 rows, so the server sets the pace.
    client: "raw",
    sessions: h2Split(options.connections).clients,
    concurrency: options.connections,
    calls: [
      {
        path: `${SERVICE_PATH}/Pop`,
        body: () => pop,
        check: (message, context) => {
          const { job } = fromBinary(PopResponseSchema, message);
          context.id = job?.id;
          if (job) tracker.job(job.id, job.body);
          else tracker.empty();
          return true;
        },
      },
      {
        path: `${SERVICE_PATH}/Finish`,
        body: (context) => (typeof context.id === "string" ? finishRequest(context.id) : undefined),
        check: () => {
          tracker.finished++;
          return true;
        },
      },
    ],
  });
}

function finishStep(
  tracker: ConsumeTracker,
  body: (id: string) => string | Buffer,
  ok: (text: string) => boolean,
) {
  return {
    path: "/finish",
    body: (context: Record<string, unknown>) =>
      typeof context.id === "string" ? body(context.id) : undefined,
    check: (_status: number, text: string) => {
      if (!ok(text)) return false;
      tracker.finished++;
      return true;
    },
  };
}

/**
 * Jobs left in the server's database: the fields of every shard's jobs hash
 * (`*:jobs`), or only those whose id starts with `idPrefix`.
 */
export async function jobsLeft(ctx: BenchContext, idPrefix?: string): Promise<number> {
  const redis = ctx.dqRedis();
  try {
    let cursor = "0";
    let count = 0;
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", "*:jobs", "COUNT", 10_000);
      cursor = next;
      for (const key of keys) {
        if (idPrefix === undefined) count += await redis.hlen(key);
        else count += await countFields(redis, key, `${idPrefix}*`);
      }
    } while (cursor !== "0");
    return count;
  } finally {
    redis.disconnect();
  }
}

async function countFields(redis: Redis, key: string, pattern: string): Promise<number> {
  let cursor = "0";
  let count = 0;
  do {
    const [next, entries] = await redis.hscan(key, cursor, "MATCH", pattern, "COUNT", 10_000);
    cursor = next;
    count += entries.length / 2;
  } while (cursor !== "0");
  return count;
}
