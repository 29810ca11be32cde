/**
 * What a mixed steady-state run saw, whoever drove it (server or library
 * level), and the shape both runs share.
 */
import { readStamp } from "./messages.js";
import { Samples } from "./stats.js";

export const TOPIC = "bench-mixed";
export const PRODUCERS = 16;
export const CONSUMERS = 16;
export const TAIL_MS = 5_000;

/**
 * Kept up: every acked job was consumed, the ready ones on average within
 * 100 ms (a backlog would show as a growing wait).
 */
export function keptUp(tally: MixedTally): boolean {
  return tally.consumedAcked >= tally.pushed.size && tally.ready.summary().p50 < 100;
}

/** Jobs acked, jobs seen and their lateness, in either order of arrival. */
export class MixedTally {
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
