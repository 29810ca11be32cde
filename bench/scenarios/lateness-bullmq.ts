/**
 * The lateness scenario's peer run: BullMQ adding the same delayed jobs, on the
 * same schedule, and a worker taking them (see lateness.ts).
 */
import type { Job } from "bullmq";
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import type { BenchContext } from "../lib/context.js";
import {
  latenessRow,
  lead,
  type Outcome,
  outcome,
  type Planned,
  plan,
} from "../lib/lateness-outcome.js";
import { pushThenWait } from "../lib/lateness-schedule.js";
import { cpuNote, joinNotes, withCost } from "../lib/measure.js";
import { makeBody, nowEpochMs } from "../lib/messages.js";
import { progress } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";

/** A row of ours that BullMQ's run is set beside. */
interface Judged {
  label: string;
  outcome: Outcome;
}

/**
 * BullMQ with the same schedule (delayed jobs, a worker of the pollers' concurrency); sets
 * the server's legacy row and the engine's row beside it, the engine's judged against it.
 */
export async function bullmqLateness(
  ctx: BenchContext,
  n: number,
  ours: { server: Judged; engine: Judged },
): Promise<void> {
  const { config } = ctx;
  const body = makeBody(config.bodyBytes);

  await ctx.reset();
  await waitQuiet(ctx);
  progress(`lateness: BullMQ, same schedule, worker concurrency ${config.pollers}`);
  const peer = bullPeer(ctx, "bench-late");
  try {
    const bullJobs = plan(n, nowEpochMs() + lead(n), config.lateSpreadMs);
    const bullById = new Map<string, Planned>();
    let bullReceived = 0;
    const bull = await withCost(ctx, async () => {
      const t0 = performance.now();
      peer.worker(async (job: Job) => {
        const receivedAt = nowEpochMs();
        const planned = bullById.get(String(job.id));
        if (!planned) return;
        planned.receipts++;
        if (planned.receivedAt === undefined) {
          planned.receivedAt = receivedAt;
          planned.queueDue = job.timestamp + (job.opts.delay ?? 0);
          bullReceived++;
        }
      }, config.pollers);
      const pushSeconds = await pushThenWait(
        bullJobs,
        async (job, k) => {
          const id = `bl-${k}`;
          bullById.set(id, job);
          job.sentAt = nowEpochMs();
          // BullMQ takes whole ms.
          job.delayMs = Math.max(0, Math.round(job.due - job.sentAt));
          await peer.queue.add(
            "job",
            { body },
            { ...bullJobOptions, jobId: id, delay: job.delayMs },
          );
          job.ackAt = nowEpochMs();
        },
        () => bullReceived,
      );
      return { pushSeconds, seconds: (performance.now() - t0) / 1000 };
    });
    const theirs = outcome(bullJobs, bull.pushSeconds);
    const last = ctx.rows.find((row) => row.case === ours.server.label);
    if (last) {
      // Lateness against each one's own due time: the fair comparison.
      last.ratio = theirs.byDue.p99 / ours.server.outcome.byDue.p99;
      last.ratioOf = "(BullMQ p99 / ours, vs due)";
    }
    const library = ctx.rows.find((row) => row.case === ours.engine.label);
    const engine = ours.engine.outcome;
    if (library) {
      // Library against library: both pop in-process, neither over HTTP.
      library.ratio = theirs.byDue.p99 / engine.byDue.p99;
      library.ratioOf = "(BullMQ p99 / ours, vs due)";
      library.target = "ahead of BullMQ (p99 and max vs due, 0 early, 0 lost)";
      library.met =
        engine.byDue.p99 < theirs.byDue.p99 &&
        engine.byDue.max < theirs.byDue.max &&
        engine.earlyByDue === 0 &&
        engine.lost === 0;
    }
    ctx.rows.push(
      latenessRow(`  BullMQ (worker C=${config.pollers})`, theirs, n, config.pollers, {
        extra: joinNotes(
          "due = job.timestamp + delay",
          cpuNote(bull.cost, ["redis", "harness", "other"]),
        ),
      }),
    );
  } finally {
    await peer.close();
  }
}
