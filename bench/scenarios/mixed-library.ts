/**
 * The mixed steady state at library level: the engine in-process against
 * BullMQ, the same mix at the same pace, so the two compare without HTTP.
 */
import type { Job } from "bullmq";
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import type { BenchContext } from "../lib/context.js";
import { runLoops } from "../lib/load-inproc.js";
import { cpuNote, joinNotes, type PhaseCost, withCost } from "../lib/measure.js";
import { IdSequence, makeBody, nowEpochMs, STAMP_LENGTH, stampedBody } from "../lib/messages.js";
import { CONSUMERS, MixedTally, PRODUCERS, TAIL_MS, TOPIC } from "../lib/mixed-tally.js";
import { runPaced } from "../lib/paced.js";
import { progress, sleep } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";
import type { Summary } from "../lib/stats.js";
import { fmtMs, type Row } from "../lib/table.js";

/** Runs both and adds their rows, the engine's judged against BullMQ's. */
export async function libraryPeer(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const padding = makeBody(Math.max(0, config.bodyBytes - STAMP_LENGTH));
  await ctx.reset();

  // The engine: producer loops push, consumer loops pop (1 s long-poll) + finish.
  const producerEngine = await ctx.engine({ prefix: "dqe" });
  const consumerEngine = await ctx.engine({ prefix: "dqe", scheduler: true });
  const dqTally = new MixedTally();
  const dqPopped = new Map<string, number>();
  let dqRate = 0;
  let dqP99 = Number.NaN;
  try {
    await waitQuiet(ctx);
    progress(`mixed library level: engine, ${PRODUCERS} producers + ${CONSUMERS} consumers`);
    const ids = new IdSequence("me-");
    const run = await withCost(ctx, async () => {
      const t0 = performance.now();
      const consumers = runLoops({
        concurrency: CONSUMERS,
        durationMs: config.mixedMs + TAIL_MS,
        until: () => !dqTally.producing && dqTally.consumedAcked >= dqTally.pushed.size,
        call: async () => {
          const job = await consumerEngine.pop([TOPIC], { timeoutMs: 1000 });
          if (!job) return true;
          dqPopped.set(job.id, (dqPopped.get(job.id) ?? 0) + 1);
          dqTally.onJob(job.id, job.body.toString("latin1"), nowEpochMs());
          await consumerEngine.finish(job.id);
          return true;
        },
      });
      const producers = await runPaced({
        rate: config.mixedRate,
        durationMs: config.mixedMs,
        call: async (n) => {
          const id = ids.id();
          const delayMs = (n % 2) * 1000;
          await producerEngine.push({
            topic: TOPIC,
            id,
            body: stampedBody(nowEpochMs(), delayMs) + padding,
            delayMs,
            ttrMs: 60_000,
          });
          dqTally.ack(id);
          return true;
        },
      });
      dqTally.producing = false;
      await consumers;
      return { producers, seconds: (performance.now() - t0) / 1000 };
    });
    dqRate = dqTally.consumedAcked / run.producers.seconds;
    dqP99 = dqTally.ready.summary().p99;
    const ready = dqTally.ready.summary();
    const delayed = dqTally.delayed.summary();
    const lost = dqTally.lost(dqPopped);
    const row = libraryRow(`library: engine ${config.mixedRate}/s, C=${CONSUMERS}`, dqRate, run, {
      ready,
      delayed,
      lost,
    });
    ctx.rows.push({ ...row, data: { ready, delayed, lost, producers: run.producers } });
  } finally {
    await producerEngine.close();
    await consumerEngine.close();
  }

  const peer = bullPeer(ctx, "bench-mixed");
  try {
    await waitQuiet(ctx);
    progress(
      `mixed library level: BullMQ, ${PRODUCERS} producers + worker concurrency ${CONSUMERS}`,
    );
    const tally = new MixedTally();
    const popped = new Map<string, number>();
    const run = await withCost(ctx, async () => {
      const t0 = performance.now();
      peer.worker(async (job: Job) => {
        const id = String(job.id);
        popped.set(id, (popped.get(id) ?? 0) + 1);
        tally.onJob(id, (job.data as { body: string }).body, nowEpochMs());
      }, CONSUMERS);
      const producers = await runPaced({
        rate: config.mixedRate,
        durationMs: config.mixedMs,
        call: async (k) => {
          const delayMs = (k % 2) * 1000;
          const id = `bm-${k}`;
          await peer.queue.add(
            "job",
            { body: stampedBody(nowEpochMs(), delayMs) + padding },
            { ...bullJobOptions, jobId: id, delay: delayMs },
          );
          tally.ack(id);
          return true;
        },
      });
      tally.producing = false;
      const deadline = performance.now() + TAIL_MS;
      while (tally.consumedAcked < tally.pushed.size && performance.now() < deadline)
        await sleep(10);
      return { producers, seconds: (performance.now() - t0) / 1000 };
    });
    const rate = tally.consumedAcked / run.producers.seconds;
    const ready = tally.ready.summary();
    const delayed = tally.delayed.summary();
    const last = ctx.rows[ctx.rows.length - 1];
    if (last && dqRate > 0) {
      // Same offered rate: both keep up, so "ahead" is about latency.
      last.ratio = ready.p99 / dqP99;
      last.ratioOf = "(BullMQ p99 / ours)";
      last.target = "ahead of BullMQ (p99 and rate)";
      last.met = dqP99 < ready.p99 && dqRate >= 0.99 * rate;
    }
    const row = libraryRow(`  BullMQ ${config.mixedRate}/s, worker C=${CONSUMERS}`, rate, run, {
      ready,
      delayed,
      lost: tally.lost(popped),
    });
    ctx.rows.push({ ...row, data: { ready, delayed, producers: run.producers } });
  } finally {
    await peer.close();
  }
}

/** A library-level mixed row (ours or BullMQ's): latency of ready jobs, lateness of delayed ones. */
function libraryRow(
  label: string,
  rate: number,
  run: { producers: { rate: number }; cost: PhaseCost },
  outcome: { ready: Summary; delayed: Summary; lost: number },
): Row {
  const { ready, delayed, lost } = outcome;
  return {
    scenario: "mixed",
    case: label,
    rate,
    unit: "jobs/s",
    p50: ready.p50,
    p99: ready.p99,
    max: ready.max,
    notes: joinNotes(
      `push ${Math.round(run.producers.rate).toLocaleString("en-US")}/s`,
      `1 s jobs late by p50/p99/max ${fmtMs(delayed.p50)}/${fmtMs(delayed.p99)}/${fmtMs(delayed.max)}`,
      `${lost} lost`,
      cpuNote(run.cost, ["redis", "harness", "other"]),
    ),
  };
}
