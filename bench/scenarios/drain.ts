/**
 * 2. Drain: N jobs already due; consumers pop + finish until none is left.
 * jobs/s, duplicates, missing; per protocol, against the ceiling; then the
 * library-level peer: the engine in-process against a BullMQ worker.
 */
import type { Job } from "bullmq";
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import type { Protocol } from "../lib/config.js";
import { ConsumeTracker, consumeLoad, jobsLeft } from "../lib/consume-load.js";
import type { BenchContext } from "../lib/context.js";
import { runLoops } from "../lib/load-inproc.js";
import { loadJobs } from "../lib/load-jobs.js";
import {
  commandsPer,
  cpuNote,
  failureNote,
  joinNotes,
  scriptCallsPer,
  withCost,
} from "../lib/measure.js";
import { IdSequence, makeBody } from "../lib/messages.js";
import { progress, sleep } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";
import { fmtMs } from "../lib/table.js";

const TOPIC = "bench-drain";
/** Empty pops in a row that mean nothing is left to pop. */
const EMPTY_STREAK = 2000;

const labels: Record<Protocol, string> = {
  legacy: "legacy JSON (HTTP/1.1)",
  connect: "Connect binary (HTTP/1.1)",
  grpc: "gRPC (h2c, raw HTTP/2 client)",
};

export async function drainScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const n = config.jobs;
  const c = config.consumers;
  const body = makeBody(config.bodyBytes);
  let legacyRate: number | undefined;
  for (const protocol of config.protocols) {
    await ctx.reset();
    const prefix = `d${protocol[0]}-`;
    const ids = new IdSequence(prefix);
    await warmUp(ctx, protocol, new IdSequence(`w${protocol[0]}-`), body);
    progress(
      `drain ${protocol}: loading ${n.toLocaleString("en-US")} ready jobs (engine, in-process)`,
    );
    await loadReady(ctx, n, ids, body);
    await waitQuiet(ctx);
    // Just before and right after the drain, not the push scenario's: the box's speed drifts
    // over a run, and one 3 s reading can fall in a slow spell. The higher of the two is used.
    const before = protocol === "legacy" ? await ctx.ceilingNow("legacy", c) : undefined;
    progress(`drain ${protocol}: ${c} consumers pop + finish`);
    const tracker = new ConsumeTracker();
    const result = await withCost(ctx, () =>
      consumeLoad(ctx, protocol, {
        topic: TOPIC,
        connections: c,
        durationMs: 300_000,
        popTimeoutS: 0,
        tracker,
        idPrefix: prefix,
        until: () => tracker.finished >= n || tracker.emptyStreak >= EMPTY_STREAK,
      }),
    );
    const left = await jobsLeft(ctx);
    const missing = n - tracker.popped.size;
    const rate = tracker.finished / result.seconds;
    const after = before ? await ctx.ceilingNow("legacy", c) : undefined;
    const ceilings = before && after ? [before.rate, after.rate] : [];
    const [pop, finish] = result.byRequest ?? [];
    const row = {
      scenario: "drain",
      case: `${labels[protocol]} C=${c}`,
      rate,
      unit: "jobs/s",
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      notes: joinNotes(
        `${n.toLocaleString("en-US")} jobs: ${tracker.duplicates} duplicates, ${missing} missing, ${left} left in Redis`,
        pop &&
          finish &&
          `pop p50/p99 ${fmtMs(pop.p50)}/${fmtMs(pop.p99)}, finish ${fmtMs(finish.p50)}/${fmtMs(finish.p99)}`,
        `${scriptCallsPer(result.cost, n).toFixed(2)} script calls/job, ${commandsPer(result.cost, n).toFixed(1)} cmds/job`,
        // Server CPU per job: what the rate would compare if the generator were not the limit.
        `server ${Math.round(((result.cost.cpu.server ?? 0) * 1e6) / rate)} µs CPU/job`,
        cpuNote(result.cost),
        failureNote(result),
      ),
      data: { result, duplicates: tracker.duplicates, missing, left, empties: tracker.empties },
    };
    const clean = tracker.duplicates === 0 && missing === 0 && left === 0;
    if (protocol === "legacy" && ceilings.length > 0) {
      legacyRate = rate;
      const ratio = rate / Math.max(...ceilings);
      const [pre, post] = ceilings.map((r) => Math.round(r).toLocaleString("en-US"));
      ctx.rows.push({
        ...row,
        ratio,
        ratioOf: `%of ceiling (the higher of ${pre} req/s before and ${post} after)`,
        target: "≥ 40% of ceiling, 0 dup/missing",
        met: ratio >= 0.4 && clean,
      });
    } else {
      const ratio = legacyRate ? rate / legacyRate : undefined;
      ctx.rows.push({
        ...row,
        ...(ratio !== undefined ? { ratio, ratioOf: "legacy" } : {}),
        target: "no slower per job than legacy (≥ 0.95×), 0 dup/missing",
        met: ratio === undefined ? clean : ratio >= 0.95 && clean,
      });
    }
  }
  if (config.bullmq) await libraryPeer(ctx);
}

/**
 * An untimed drain of a few thousand jobs on the same path first, so that the
 * timed one measures the server's and the consumers' optimised code, as the push
 * rounds do after their warm-up, and not the JIT compiling pop and finish.
 */
async function warmUp(
  ctx: BenchContext,
  protocol: Protocol,
  ids: IdSequence,
  body: string,
): Promise<void> {
  const { config } = ctx;
  const count = Math.min(config.jobs, config.quick ? 500 : 5000);
  await loadReady(ctx, count, ids, body);
  progress(`drain ${protocol}: warming up on ${count.toLocaleString("en-US")} jobs (untimed)`);
  const tracker = new ConsumeTracker();
  await consumeLoad(ctx, protocol, {
    topic: TOPIC,
    connections: config.consumers,
    durationMs: config.warmupMs * 4,
    popTimeoutS: 0,
    tracker,
    idPrefix: ids.prefix,
    until: () => tracker.finished >= count || tracker.emptyStreak >= EMPTY_STREAK,
  });
  await ctx.reset();
}

/** Loads `count` ready jobs through an engine in this process (setup, untimed). */
async function loadReady(ctx: BenchContext, count: number, ids: IdSequence, body: string) {
  const engine = await ctx.engine();
  try {
    await loadJobs(engine, { count, topic: TOPIC, ids, body, delayMs: () => 0 });
  } finally {
    await engine.close();
  }
}

/** Library level: the engine's pop + finish in-process against a BullMQ worker, same jobs. */
async function libraryPeer(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const n = config.jobs;
  const c = config.consumers;
  const body = makeBody(config.bodyBytes);
  await ctx.reset();
  const engine = await ctx.engine({ prefix: "dqe" });
  let dqRate = 0;
  try {
    progress(
      `drain library level: loading ${n.toLocaleString("en-US")} ready jobs into the engine`,
    );
    await loadJobs(engine, {
      count: n,
      topic: TOPIC,
      ids: new IdSequence("de-"),
      body,
      delayMs: () => 0,
    });
    await waitQuiet(ctx);
    progress(`drain library level: engine, ${c} loops of pop + finish`);
    let finished = 0;
    let empty = 0;
    const dq = await withCost(ctx, () =>
      runLoops({
        concurrency: c,
        durationMs: 300_000,
        until: () => finished >= n || empty >= EMPTY_STREAK,
        call: async () => {
          const job = await engine.pop([TOPIC]);
          if (!job) {
            empty++;
            return true;
          }
          await engine.finish(job.id);
          finished++;
          return true;
        },
      }),
    );
    dqRate = finished / dq.seconds;
    ctx.rows.push({
      scenario: "drain",
      case: `library: engine pop + finish C=${c}`,
      rate: dqRate,
      unit: "jobs/s",
      p50: dq.latency.p50,
      p99: dq.latency.p99,
      max: dq.latency.max,
      notes: joinNotes(
        `latency of pop + finish`,
        `${commandsPer(dq.cost, n).toFixed(1)} cmds/job`,
        cpuNote(dq.cost, ["redis", "harness", "other"]),
        failureNote(dq),
      ),
      data: { dq },
    });
  } finally {
    await engine.close();
  }

  const peer = bullPeer(ctx, "bench-drain");
  try {
    progress(`drain library level: loading ${n.toLocaleString("en-US")} jobs into BullMQ`);
    for (let i = 0; i < n; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        name: "job",
        data: { body },
        opts: { ...bullJobOptions, jobId: `b-${i + k}` },
      }));
      await peer.queue.addBulk(batch);
    }
    await waitQuiet(ctx);
    progress(`drain library level: BullMQ worker, concurrency ${c}`);
    let completed = 0;
    const seen = new Set<string>();
    const t0 = performance.now();
    const bull = await withCost(ctx, async () => {
      const worker = peer.worker(async (job: Job) => {
        seen.add(String(job.id));
      }, c);
      worker.on("completed", () => {
        completed++;
      });
      const deadline = performance.now() + 300_000;
      while (completed < n && performance.now() < deadline) await sleep(5);
      return { seconds: (performance.now() - t0) / 1000 };
    });
    const rate = completed / bull.seconds;
    const last = ctx.rows[ctx.rows.length - 1];
    if (last) {
      last.ratio = dqRate / rate;
      last.ratioOf = "BullMQ";
      last.target = "ahead of BullMQ";
      last.met = dqRate > rate;
    }
    ctx.rows.push({
      scenario: "drain",
      case: `  BullMQ worker C=${c}`,
      rate,
      unit: "jobs/s",
      notes: joinNotes(
        `${n - seen.size} missing`,
        `${commandsPer(bull.cost, n).toFixed(1)} cmds/job`,
        cpuNote(bull.cost, ["redis", "harness", "other"]),
      ),
    });
  } finally {
    await peer.close();
  }
}
