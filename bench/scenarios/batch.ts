/**
 * Batch RPCs: PushBatch (many jobs per call), and PopBatch (up to `max` jobs
 * per call) with each batch finished by one FinishBatch, Connect binary over
 * HTTP/1.1 with autocannon; the engine's pushMany in-process; BullMQ's
 * addBulk as the peer.
 */
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import { jobsLeft } from "../lib/consume-load.js";
import type { BenchContext } from "../lib/context.js";
import { runH1 } from "../lib/load-h1.js";
import { runLoops } from "../lib/load-inproc.js";
import { cpuNote, failureNote, joinNotes, withCost } from "../lib/measure.js";
import {
  finishBatchRequest,
  finishedCount,
  IdSequence,
  makeBody,
  PushBatchTemplate,
  popBatchRequest,
  SERVICE_PATH,
} from "../lib/messages.js";
import { progress } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";
import { fmtMs } from "../lib/table.js";

const TOPIC = "bench-batch";
const DELAY_S = 3600;
const CONNECTIONS = 8;

export async function batchScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const body = makeBody(config.bodyBytes);
  const sizes = config.quick ? [100] : [100, 1000];
  let best = 0;
  for (const size of sizes) {
    await ctx.reset();
    await waitQuiet(ctx);
    progress(`batch: PushBatch of ${size} jobs, Connect binary, C=${CONNECTIONS}`);
    const template = new PushBatchTemplate(
      new IdSequence(`pb${size}-`),
      size,
      TOPIC,
      DELAY_S,
      body,
    );
    const result = await withCost(ctx, () =>
      runH1({
        url: ctx.server.url,
        connections: CONNECTIONS,
        durationMs: config.durationMs,
        requests: [
          {
            path: `${SERVICE_PATH}/PushBatch`,
            headers: { "content-type": "application/proto" },
            body: () => template.build(),
          },
        ],
      }),
    );
    const jobs = result.rate * size;
    best = Math.max(best, jobs);
    ctx.rows.push({
      scenario: "batch",
      case: `PushBatch ${size} jobs/call, Connect binary C=${CONNECTIONS}`,
      rate: jobs,
      unit: "jobs/s",
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      target: "≥ 100k jobs/s",
      met: jobs >= 100_000,
      notes: joinNotes(
        `${Math.round(result.rate).toLocaleString("en-US")} calls/s; latency per call`,
        cpuNote(result.cost),
        failureNote(result),
      ),
      data: { result },
    });
  }
  await popBatch(ctx, body);
  await libraryPeer(ctx, body, Math.max(...sizes));
}

/** PopBatch over ready jobs until none is left, each popped batch finished with one FinishBatch. */
async function popBatch(ctx: BenchContext, body: string): Promise<void> {
  const { config } = ctx;
  const n = config.jobs;
  // At most 127, so that finishedCount can read the FinishBatch reply.
  const max = 100;
  await ctx.reset();
  const engine = await ctx.engine();
  try {
    const ids = new IdSequence("bp-");
    for (let i = 0; i < n; i += 1000) {
      await engine.pushMany(
        Array.from({ length: Math.min(1000, n - i) }, () => ({
          topic: TOPIC,
          id: ids.id(),
          body,
          delayMs: 0,
          ttrMs: 600_000,
        })),
      );
    }
  } finally {
    await engine.close();
  }
  await waitQuiet(ctx);
  progress(`batch: PopBatch max ${max} + FinishBatch over ${n.toLocaleString("en-US")} ready jobs`);
  let popped = 0;
  let finished = 0;
  let empty = 0;
  const request = Buffer.from(popBatchRequest([TOPIC], max, 0));
  const idPattern = /bp-\d{10}/g;
  const result = await withCost(ctx, () =>
    runH1({
      url: ctx.server.url,
      connections: 4,
      durationMs: 120_000,
      until: () => finished >= n || empty > 50,
      requests: [
        {
          path: `${SERVICE_PATH}/PopBatch`,
          headers: { "content-type": "application/proto" },
          body: () => request,
          check: (_status, text, context) => {
            const ids = text.match(idPattern) ?? [];
            context.ids = ids;
            popped += ids.length;
            if (ids.length === 0) empty++;
            return true;
          },
        },
        {
          path: `${SERVICE_PATH}/FinishBatch`,
          headers: { "content-type": "application/proto" },
          // By id alone (any reservation), as the drain scenario finishes: the PopBatch
          // reply arrives as text, where a pattern finds the ids.
          body: (context) => {
            const ids = context.ids as string[] | undefined;
            return ids?.length ? Buffer.from(finishBatchRequest(ids)) : undefined;
          },
          check: (status, text, context) => {
            if (status !== 200) return false;
            const count = finishedCount(text);
            finished += count;
            return count === (context.ids as string[]).length;
          },
        },
      ],
    }),
  );
  // Only this row's jobs: PushBatch calls of the rows before may still land after the reset.
  const left = await jobsLeft(ctx, "bp-");
  const [pop, finish] = result.byRequest ?? [];
  ctx.rows.push({
    scenario: "batch",
    case: `PopBatch max ${max} + FinishBatch, Connect binary C=4`,
    rate: finished / result.seconds,
    unit: "jobs/s",
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    notes: joinNotes(
      `${finished.toLocaleString("en-US")} of ${n.toLocaleString("en-US")} jobs popped and finished with FinishBatch (${popped - finished} popped, not finished; ${left} left in Redis)`,
      pop &&
        finish &&
        `PopBatch p50/p99 ${fmtMs(pop.p50)}/${fmtMs(pop.p99)}, FinishBatch ${fmtMs(finish.p50)}/${fmtMs(finish.p99)}`,
      cpuNote(result.cost),
      failureNote(result),
    ),
  });
}

/** Library level: the engine's pushMany against BullMQ's addBulk, same batch size. */
async function libraryPeer(ctx: BenchContext, body: string, size: number): Promise<void> {
  const { config } = ctx;
  await ctx.reset();
  const engine = await ctx.engine({ prefix: "dqe" });
  const peer = bullPeer(ctx, "bench-batch");
  try {
    await waitQuiet(ctx);
    progress(`batch library level: engine pushMany vs BullMQ addBulk, ${size} jobs per call`);
    const ids = new IdSequence("eb-");
    const dq = await withCost(ctx, () =>
      runLoops({
        concurrency: 4,
        durationMs: config.durationMs,
        call: async () => {
          await engine.pushMany(
            Array.from({ length: size }, () => ({
              topic: TOPIC,
              id: ids.id(),
              body,
              delayMs: DELAY_S * 1000,
              ttrMs: 60_000,
            })),
          );
          return true;
        },
      }),
    );
    let k = 0;
    const bull = config.bullmq
      ? await withCost(ctx, () =>
          runLoops({
            concurrency: 4,
            durationMs: config.durationMs,
            call: async () => {
              await peer.queue.addBulk(
                Array.from({ length: size }, () => ({
                  name: "job",
                  data: { body },
                  opts: { ...bullJobOptions, jobId: `bb-${k++}`, delay: DELAY_S * 1000 },
                })),
              );
              return true;
            },
          }),
        )
      : undefined;
    const dqJobs = dq.rate * size;
    const bullJobs = bull ? bull.rate * size : undefined;
    ctx.rows.push({
      scenario: "batch",
      case: `library: engine pushMany ${size}/call C=4`,
      rate: dqJobs,
      unit: "jobs/s",
      p50: dq.latency.p50,
      p99: dq.latency.p99,
      max: dq.latency.max,
      ...(bullJobs
        ? {
            ratio: dqJobs / bullJobs,
            ratioOf: "BullMQ",
            target: "ahead of BullMQ",
            met: dqJobs > bullJobs,
          }
        : {}),
      notes: joinNotes(
        "latency per call",
        cpuNote(dq.cost, ["redis", "harness", "other"]),
        failureNote(dq),
      ),
    });
    if (bull && bullJobs) {
      ctx.rows.push({
        scenario: "batch",
        case: `  BullMQ addBulk ${size}/call C=4`,
        rate: bullJobs,
        unit: "jobs/s",
        p50: bull.latency.p50,
        p99: bull.latency.p99,
        max: bull.latency.max,
        notes: joinNotes("latency per call", cpuNote(bull.cost, ["redis", "harness", "other"])),
      });
    }
  } finally {
    await peer.close();
    await engine.close();
  }
}
