/**
 * 3. Mixed steady state: producers and consumers at once for a fixed time.
 * Half the jobs ready at once, half after 1 s; consumers long-poll (1 s)
 * and finish. Push and consume rates, end-to-end latency, lost, duplicates;
 * then the library-level peer (engine against BullMQ, same mix).
 */

import type { ClientHttp2Session } from "node:http2";
import type { Job } from "bullmq";
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import type { Protocol } from "../lib/config.js";
import { ConsumeTracker, consumeLoad, jobsLeft } from "../lib/consume-load.js";
import type { BenchContext } from "../lib/context.js";
import type { LoadResult } from "../lib/load-h1.js";
import { connect, frame, h2Headers, send } from "../lib/load-h2.js";
import { runLoops } from "../lib/load-inproc.js";
import { cpuNote, failureNote, joinNotes, type PhaseCost, withCost } from "../lib/measure.js";
import {
  IdSequence,
  legacyPush,
  makeBody,
  nowEpochMs,
  PushTemplate,
  readStamp,
  SERVICE_PATH,
  STAMP_LENGTH,
  stampedBody,
} from "../lib/messages.js";
import { httpPoster, runPaced } from "../lib/paced.js";
import { progress, sleep } from "../lib/progress.js";
import { h2Split } from "../lib/push-load.js";
import { waitQuiet } from "../lib/quiet.js";
import { Samples, type Summary } from "../lib/stats.js";
import { fmtMs, type Row } from "../lib/table.js";

const TOPIC = "bench-mixed";
const PRODUCERS = 16;
const CONSUMERS = 16;
const TAIL_MS = 5_000;

const labels: Record<Protocol, string> = {
  legacy: "legacy JSON",
  connect: "Connect binary",
  grpc: "gRPC (h2c; node:http2 producers, raw-client consumers)",
};

/** What one mixed run saw, whoever drove it. */
/**
 * Kept up: every acked job was consumed, the ready ones on average within
 * 100 ms (a backlog would show as a growing wait).
 */
function keptUp(tally: MixedTally): boolean {
  return tally.consumedAcked >= tally.pushed.size && tally.ready.summary().p50 < 100;
}

class MixedTally {
  private readonly acked = new Set<string>();
  private readonly seen = new Set<string>();
  readonly ready = new Samples();
  readonly delayed = new Samples();
  /** Acked jobs popped at least once (in either order: a ready job may be popped before its ack). */
  consumedAcked = 0;
  producing = true;

  get pushed(): ReadonlySet<string> {
    return this.acked;
  }

  ack(id: string): void {
    this.acked.add(id);
    if (this.seen.has(id)) this.consumedAcked++;
  }

  onJob = (id: string, body: string | undefined, receivedAt: number): void => {
    if (!this.seen.has(id)) {
      this.seen.add(id);
      if (this.acked.has(id)) this.consumedAcked++;
    }
    const stamp = readStamp(body);
    if (!stamp) return;
    const late = receivedAt - (stamp.sentAt + stamp.delayMs);
    (stamp.delayMs === 0 ? this.ready : this.delayed).add(late);
  };

  lost(popped: ReadonlyMap<string, number>): number {
    let lost = 0;
    for (const id of this.acked) if (!popped.has(id)) lost++;
    return lost;
  }
}

export async function mixedScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  for (const protocol of config.protocols) {
    await ctx.reset();
    await waitQuiet(ctx);
    progress(
      `mixed ${protocol}: ${config.mixedRate} jobs/s offered, ${CONSUMERS} consumers, ${config.mixedMs / 1000} s`,
    );
    const prefix = `m${protocol[0]}-`;
    const ids = new IdSequence(prefix);
    const tally = new MixedTally();
    const tracker = new ConsumeTracker(tally.onJob);
    const t0 = performance.now();
    const run = await withCost(ctx, async () => {
      const consumers = consumeLoad(ctx, protocol, {
        topic: TOPIC,
        connections: CONSUMERS,
        durationMs: config.mixedMs + TAIL_MS,
        popTimeoutS: 1,
        tracker,
        idPrefix: prefix,
        until: () => !tally.producing && tally.consumedAcked >= tally.pushed.size,
      });
      const producers = await produce(ctx, protocol, ids, tally);
      tally.producing = false;
      const consumed = await consumers;
      return { producers, consumed, seconds: (performance.now() - t0) / 1000 };
    });
    const { producers } = run;
    const lost = tally.lost(tracker.popped);
    const left = await jobsLeft(ctx);
    const ready = tally.ready.summary();
    const delayed = tally.delayed.summary();
    ctx.rows.push({
      scenario: "mixed",
      case: `${labels[protocol]} ${config.mixedRate}/s, C=${CONSUMERS}`,
      rate: tally.consumedAcked / producers.seconds,
      unit: "jobs/s",
      p50: ready.p50,
      p99: ready.p99,
      max: ready.max,
      target: "keeps up, 0 lost, 0 dup",
      met: lost === 0 && tracker.duplicates === 0 && keptUp(tally),
      notes: joinNotes(
        `jobs consumed per s of production; push ${Math.round(producers.rate).toLocaleString("en-US")}/s`,
        "latency: ready job push sent → popped",
        `1 s jobs late by p50/p99/max ${fmtMs(delayed.p50)}/${fmtMs(delayed.p99)}/${fmtMs(delayed.max)}`,
        `${tally.pushed.size.toLocaleString("en-US")} acked: ${lost} lost, ${tracker.duplicates} dup, ${left} left`,
        cpuNote(run.cost),
        failureNote(producers),
      ),
      data: { producers, consumed: run.consumed, ready, delayed, lost, left, cost: run.cost },
    });
  }
  if (config.bullmq) await libraryPeer(ctx);
}

/**
 * Paced producers for `mixedMs` at `mixedRate` jobs/s (open loop, so the
 * latency is the queue's, not a backlog's): every other job ready at once,
 * the others after 1 s.
 */
async function produce(
  ctx: BenchContext,
  protocol: Protocol,
  ids: IdSequence,
  tally: MixedTally,
): Promise<LoadResult> {
  const { config } = ctx;
  const padding = makeBody(Math.max(0, config.bodyBytes - STAMP_LENGTH));
  const next = (n: number) => {
    const delayS = n % 2;
    return { id: ids.id(), delayS, stamp: stampedBody(nowEpochMs(), delayS * 1000) };
  };
  const paced = (call: (n: number) => Promise<boolean>) =>
    runPaced({ rate: config.mixedRate, durationMs: config.mixedMs, call });
  if (protocol === "legacy" || protocol === "connect") {
    const poster = httpPoster(ctx.server.url, PRODUCERS);
    const templates = [0, 1].map(
      (delayS) => new PushTemplate(TOPIC, ids, delayS, stampedBody(0, 0) + padding),
    );
    try {
      return await paced(async (n) => {
        const { id, delayS, stamp } = next(n);
        const reply =
          protocol === "legacy"
            ? await poster.post(
                "/push",
                legacyPush(TOPIC, id, delayS, stamp + padding),
                "application/json",
              )
            : await poster.post(
                `${SERVICE_PATH}/Push`,
                (templates[delayS] as PushTemplate).build(id, stamp),
                "application/proto",
              );
        const ok =
          reply.status === 200 &&
          (protocol === "connect" || reply.body.toString().startsWith('{"code":0'));
        if (ok) tally.ack(id);
        return ok;
      });
    } finally {
      poster.close();
    }
  }
  const templates = [0, 1].map(
    (delayS) => new PushTemplate(TOPIC, ids, delayS, stampedBody(0, 0) + padding),
  );
  const sessions = Array.from({ length: h2Split(PRODUCERS).clients }, () =>
    connect(ctx.server.url),
  );
  try {
    return await paced(async (n) => {
      const { id, delayS, stamp } = next(n);
      const session = sessions[n % sessions.length] as ClientHttp2Session;
      const message = (templates[delayS] as PushTemplate).build(id, stamp);
      const reply = await send(
        session,
        h2Headers(`${SERVICE_PATH}/Push`, "grpc"),
        frame(message, "grpc"),
      );
      if (reply.ok) tally.ack(id);
      return reply.ok;
    });
  } finally {
    for (const session of sessions) session.close();
  }
}

/** Library level: the engine in-process against BullMQ, same mix, same producers and consumers. */
async function libraryPeer(ctx: BenchContext): Promise<void> {
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
