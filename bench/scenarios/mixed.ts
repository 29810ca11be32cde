/**
 * 3. Mixed steady state: producers and consumers at once for a fixed time.
 * Half the jobs ready at once, half after 1 s; consumers long-poll (1 s)
 * and finish. Push and consume rates, end-to-end latency, lost, duplicates;
 * then the library-level peer (engine against BullMQ, same mix).
 */

import type { ClientHttp2Session } from "node:http2";
import type { Protocol } from "../lib/config.js";
import { ConsumeTracker, consumeLoad, jobsLeft } from "../lib/consume-load.js";
import type { BenchContext } from "../lib/context.js";
import type { LoadResult } from "../lib/load-h1.js";
import { connect, frame, h2Headers, send } from "../lib/load-h2.js";
import { cpuNote, failureNote, joinNotes, withCost } from "../lib/measure.js";
import {
  IdSequence,
  legacyPush,
  makeBody,
  nowEpochMs,
  PushTemplate,
  SERVICE_PATH,
  STAMP_LENGTH,
  stampedBody,
} from "../lib/messages.js";
import { CONSUMERS, keptUp, MixedTally, PRODUCERS, TAIL_MS, TOPIC } from "../lib/mixed-tally.js";
import { httpPoster, runPaced } from "../lib/paced.js";
import { progress } from "../lib/progress.js";
import { h2Split } from "../lib/push-load.js";
import { waitQuiet } from "../lib/quiet.js";
import { fmtMs } from "../lib/table.js";
import { libraryPeer } from "./mixed-library.js";

const labels: Record<Protocol, string> = {
  legacy: "legacy JSON",
  connect: "Connect binary",
  grpc: "gRPC (h2c; node:http2 producers, raw-client consumers)",
};

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
