/**
 * 4. Fire lateness: N jobs due at random times over a spread of seconds,
 * pushed ahead of time, pollers parked in pop. lateness = pop received −
 * (push acknowledged + delay), as the issue defines it; also against the
 * job's own due time (Redis clock, same host), and early counts both ways.
 * Legacy pollers, then gRPC SDK pollers, then the engine alone (library
 * level, pollers in-process); then BullMQ with the same schedule (delayed
 * jobs, a worker), which the engine row is judged against.
 */
import { createClient } from "../../sdk/index.js";
import type { BenchContext } from "../lib/context.js";
import { engineOptions } from "../lib/context.js";
import {
  latenessRow,
  lead,
  type Outcome,
  outcome,
  type Planned,
  plan,
} from "../lib/lateness-outcome.js";
import { pushThenWait } from "../lib/lateness-schedule.js";
import { cpuNote, joinNotes, type PhaseCost, withCost } from "../lib/measure.js";
import { IdSequence, makeBody, nowEpochMs } from "../lib/messages.js";
import { type PollerKind, startPollers } from "../lib/poller-worker.js";
import { progress, sleep } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";
import { type GcSnapshot, gcJson, gcNote, readServerGc } from "../lib/server-gc.js";
import { fmtMs } from "../lib/table.js";
import { startTimerCanary } from "../lib/timer-canary.js";
import { bullmqLateness } from "./lateness-bullmq.js";

const TOPIC = "bench-late";
/** How long before the first due time the server's GC figures are read, ms. */
const GC_READ_LEAD_MS = 50;

type Pollers = PollerKind;

const pollerLabels: Record<Pollers, string> = {
  legacy: "delay-queue, legacy HTTP pollers",
  connect: "delay-queue, Connect SDK pollers",
  grpc: "delay-queue, gRPC SDK pollers",
  engine: "library: engine, pollers in-process",
};

/** The engine row's own keys, apart from the server's. */
const ENGINE_PREFIX = "bench-late-engine";

export async function latenessScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const n = config.lateJobs;
  // Legacy pollers first (the scheduler's precision, on the cheapest way in), then the SDK
  // on Connect, both HTTP/1.1 only; gRPC last, since node:http2 leaves the server garbage
  // whose full collections would land in the windows after it.
  const ours = await runOurs(ctx, "legacy");
  await runOurs(ctx, "connect");
  await runOurs(ctx, "grpc");
  // The engine alone, as BullMQ runs: what the scheduler does without HTTP in the way.
  const engine = await runOurs(ctx, "engine");
  if (!config.bullmq) return;
  await bullmqLateness(ctx, n, {
    server: { label: pollerLabels.legacy, outcome: ours },
    engine: { label: pollerLabels.engine, outcome: engine },
  });
}

/**
 * One lateness run: pushes over the SDK (ms delays) and pops by `pollers` against the
 * server; for `engine`, pushes by an engine in this thread and pops from one in the pollers'.
 * The pushes go on the pollers' own HTTP version: gRPC for gRPC pollers, Connect on HTTP/1.1
 * for the others, as a deployment of legacy clients speaks HTTP/1.1 only (their own `delay`
 * is whole seconds).
 */
async function runOurs(ctx: BenchContext, pollers: Pollers): Promise<Outcome> {
  const { config } = ctx;
  const n = config.lateJobs;
  const body = makeBody(config.bodyBytes);
  await ctx.reset();
  await waitQuiet(ctx);
  progress(
    `lateness: ${n.toLocaleString("en-US")} jobs due over ${config.lateSpreadMs / 1000} s, ${config.pollers} ${pollers} pollers parked`,
  );
  const library = pollers === "engine";
  const pushProtocol = pollers === "grpc" ? "grpc" : "connect";
  const client = createClient({ baseUrl: ctx.server.url, protocol: pushProtocol });
  const pusher = library ? await ctx.engine({ prefix: ENGINE_PREFIX }) : undefined;
  const engineSettings = engineOptions(ctx, ENGINE_PREFIX);
  const ids = new IdSequence(`l${pollers[0]}-`);
  /** The jobs of the phase being run, by id: arrivals of any other are ignored. */
  let byId = new Map<string, Planned>();
  let received = 0;
  const arrived = () => received;
  const pushOne = async (job: Planned): Promise<void> => {
    const id = ids.id();
    byId.set(id, job);
    job.sentAt = nowEpochMs();
    if (pusher) {
      // The engine takes whole ms.
      job.delayMs = Math.max(0, Math.round(job.due - job.sentAt));
      const pushed = await pusher.push({
        topic: TOPIC,
        id,
        body,
        delayMs: job.delayMs,
        ttrMs: 60_000,
      });
      job.ackAt = nowEpochMs();
      job.queueDue = pushed.dueAt;
      return;
    }
    job.delayMs = Math.max(0, Math.round((job.due - job.sentAt) * 1000) / 1000);
    const pushed = await client.push({
      topic: TOPIC,
      id,
      body,
      delay: job.delayMs / 1000,
      ttr: 60,
    });
    job.ackAt = nowEpochMs();
    job.queueDue = pushed.dueTime?.getTime();
  };
  const parked = startPollers(
    {
      baseUrl: ctx.server.url,
      topic: TOPIC,
      pollers: config.pollers,
      kind: pollers,
      timeoutS: 1,
      ...(library ? { engine: engineSettings } : {}),
    },
    (id, receivedAt) => {
      const planned = byId.get(id);
      if (!planned) return;
      planned.receipts++;
      if (planned.receivedAt === undefined) {
        planned.receivedAt = receivedAt;
        received++;
      }
    },
  );
  let jobs: Planned[] = [];
  let canary: ReturnType<typeof startTimerCanary>;
  let run: { pushSeconds: number; seconds: number; cost: PhaseCost };
  let gcBefore: GcSnapshot | undefined;
  let gcAfter: GcSnapshot | undefined;
  try {
    // Untimed, through the same pollers (a fresh worker thread, a fresh engine): the first
    // jobs would otherwise time the JIT compiling the pop path, as the push and drain
    // warm-ups keep out of theirs. Not in --quick, a smoke run whose figures nobody reads.
    if (!config.quick) {
      const warmN = Math.min(n, 1_000);
      progress(
        `lateness ${pollers}: warming up on ${warmN.toLocaleString("en-US")} jobs (untimed)`,
      );
      await pushThenWait(plan(warmN, nowEpochMs() + lead(warmN), 1_000), pushOne, arrived);
      byId = new Map();
      received = 0;
    }
    const start = nowEpochMs() + lead(n);
    jobs = plan(n, start, config.lateSpreadMs);
    canary = startTimerCanary(start, config.lateSpreadMs, n);
    // The server's GC pauses from just before the first job is due to the last arrival.
    const gcAtFirstDue = library
      ? undefined
      : sleep(Math.max(0, start - GC_READ_LEAD_MS - nowEpochMs())).then(() =>
          readServerGc(ctx.server.url),
        );
    run = await withCost(ctx, async () => {
      const t0 = performance.now();
      const pushSeconds = await pushThenWait(jobs, pushOne, arrived);
      return { pushSeconds, seconds: (performance.now() - t0) / 1000 };
    });
    gcBefore = await gcAtFirstDue;
    if (!library) gcAfter = await readServerGc(ctx.server.url);
  } finally {
    await parked.stop();
    await pusher?.close();
  }
  const ours = outcome(jobs, run.pushSeconds);
  const tooLate = jobs.filter((j) => (j.delayMs ?? 0) === 0).length;
  const floor = await canary.result();
  const floorNote = `a bare timer process beside it, same schedule: late by p50/p99/max ${fmtMs(floor.p50)}/${fmtMs(floor.p99)}/${fmtMs(floor.max)}`;
  if (library) {
    // Judged against BullMQ's row once that has run; the bounds are the server's.
    ctx.rows.push(
      latenessRow(pollerLabels.engine, ours, n, config.pollers, {
        extra: joinNotes(
          "pushed by an engine here (ms delays), popped from one with its scheduler in a worker thread",
          tooLate > 0 && `${tooLate} pushed after their due time`,
          floorNote,
          cpuNote(run.cost, ["redis", "harness", "other"]),
        ),
        data: { timerFloor: floor },
      }),
    );
    return ours;
  }
  ctx.rows.push(
    latenessRow(pollerLabels[pollers], ours, n, config.pollers, {
      target: "p99 ≤ 5 ms, max ≤ 20 ms, 0 early, 0 lost",
      // Judged on both definitions: against the ack (the issue's) and against the due time
      // the queue stamped (never less, since the ack comes after the stamp).
      met:
        Math.max(ours.byAck.p99, ours.byDue.p99) <= 5 &&
        Math.max(ours.byAck.max, ours.byDue.max) <= 20 &&
        ours.earlyByDue === 0 &&
        ours.earlyBySend === 0 &&
        ours.lost === 0,
      extra: joinNotes(
        `pushed over the ${pushProtocol === "grpc" ? "gRPC" : "Connect (HTTP/1.1)"} SDK (ms delays)`,
        tooLate > 0 && `${tooLate} pushed after their due time`,
        floorNote,
        gcNote(gcBefore, gcAfter),
        cpuNote(run.cost),
      ),
      data: { timerFloor: floor, serverGc: { before: gcJson(gcBefore), after: gcJson(gcAfter) } },
    }),
  );
  return ours;
}
