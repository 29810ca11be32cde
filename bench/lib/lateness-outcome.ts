/**
 * The lateness scenario's bookkeeping: planned due times, what each job's
 * arrival says about them, and the table row built from it.
 */
import { joinNotes } from "./measure.js";
import { Samples, type Summary } from "./stats.js";
import { fmtMs } from "./table.js";

export interface Planned {
  /** Wanted due time, epoch ms (local clock). */
  due: number;
  sentAt?: number;
  ackAt?: number;
  delayMs?: number;
  /** The due time the queue reports (Redis clock), epoch ms. */
  queueDue?: number;
  receivedAt?: number;
  receipts: number;
}

/** Due times uniformly at random over [start, start + spread), sorted. */
export function plan(n: number, start: number, spreadMs: number): Planned[] {
  return Array.from({ length: n }, () => ({
    due: start + Math.random() * spreadMs,
    receipts: 0,
  })).sort((a, b) => a.due - b.due);
}

export interface Outcome {
  /** received − (ack + delay): the definition. */
  byAck: Summary;
  /** received − the queue's own due time. */
  byDue: Summary;
  /** Received before push sent + delay: early whatever the clocks. */
  earlyBySend: number;
  /** Received before the queue's due time. */
  earlyByDue: number;
  lost: number;
  duplicates: number;
  pushSeconds: number;
}

export function outcome(jobs: Planned[], pushSeconds: number): Outcome {
  const byAck = new Samples();
  const byDue = new Samples();
  let earlyBySend = 0;
  let earlyByDue = 0;
  let lost = 0;
  let duplicates = 0;
  for (const job of jobs) {
    if (job.receivedAt === undefined || job.ackAt === undefined || job.delayMs === undefined) {
      lost++;
      continue;
    }
    duplicates += job.receipts - 1;
    byAck.add(job.receivedAt - (job.ackAt + job.delayMs));
    if (job.receivedAt < (job.sentAt ?? 0) + job.delayMs) earlyBySend++;
    if (job.queueDue !== undefined) {
      byDue.add(job.receivedAt - job.queueDue);
      if (job.receivedAt < job.queueDue) earlyByDue++;
    }
  }
  return {
    byAck: byAck.summary(),
    byDue: byDue.summary(),
    earlyBySend,
    earlyByDue,
    lost,
    duplicates,
    pushSeconds,
  };
}

export function lead(n: number): number {
  // Push them all before the first is due: at least 1,000 pushes/s, plus a margin.
  return Math.max(1_500, n + 1_500);
}

/** A lateness row of the table: latencies after ack + delay, the rest in the notes. */
export function latenessRow(
  label: string,
  o: Outcome,
  n: number,
  pollers: number,
  options: { target?: string; met?: boolean; extra?: string; data?: Record<string, unknown> },
) {
  return {
    scenario: "lateness",
    case: label,
    rate: n / o.pushSeconds,
    unit: "pushes/s",
    p50: o.byAck.p50,
    p99: o.byAck.p99,
    max: o.byAck.max,
    ...(options.target ? { target: options.target, met: options.met ?? false } : {}),
    notes: joinNotes(
      `${n.toLocaleString("en-US")} jobs, ${pollers} pollers; ms after ack + delay`,
      `vs own due time p50/p99/max ${fmtMs(o.byDue.p50)}/${fmtMs(o.byDue.p99)}/${fmtMs(o.byDue.max)}`,
      `early: ${o.earlyByDue} (vs due), ${o.earlyBySend} (vs send + delay)`,
      `${o.lost} lost, ${o.duplicates} dup`,
      options.extra,
    ),
    data: { ...o, ...options.data },
  };
}
