/** One hand-out of a job, as a consumer saw it. Times are ms on the Redis clock. */
export interface Delivery {
  id: string;
  token: string;
  attempts: number;
  /** When the reservation began: `reservedUntil - ttr`. */
  from: number;
  /** When the reservation runs out. */
  until: number;
  /** Which consumer got it. */
  consumer: string;
}

/** The counts a fault test prints and checks. */
export interface DeliveryReport {
  /** Acknowledged pushes. */
  pushed: number;
  /** Acknowledged pushes delivered at least once. */
  delivered: number;
  /** Jobs delivered more than once (allowed under faults, as long as no two hand-outs overlap). */
  duplicates: number;
  /** Acknowledged pushes never delivered. */
  lost: number;
  /** Pairs of hand-outs of one job whose reservations overlap: the job was held twice at once. */
  overlaps: number;
  /** Deliveries of ids whose push was not acknowledged (it failed, yet may have been applied). */
  unacknowledged: number;
}

/** What {@link DeliveryLog.deliver} needs from a popped job (the SDK's Job fits). */
export interface HandedOut {
  id: string;
  token?: string | undefined;
  attempts: number;
  ttr: number;
  reservedUntil?: Date | undefined;
}

/**
 * Records acknowledged pushes and every hand-out, and turns them into the
 * counts of a fault test: pushed, delivered, duplicates, lost, and
 * overlapping reservations (a job handed to two consumers within its ttr).
 */
export class DeliveryLog {
  readonly acked = new Set<string>();
  readonly deliveries = new Map<string, Delivery[]>();

  /** A push of `id` resolved. */
  ack(id: string): void {
    this.acked.add(id);
  }

  /** A pop handed `job` to `consumer`. */
  deliver(job: HandedOut, consumer: string): void {
    const until = job.reservedUntil?.getTime() ?? Number.NaN;
    const delivery: Delivery = {
      id: job.id,
      token: job.token ?? "",
      attempts: job.attempts,
      from: until - Math.round(job.ttr * 1000),
      until,
      consumer,
    };
    const list = this.deliveries.get(job.id);
    if (list) list.push(delivery);
    else this.deliveries.set(job.id, [delivery]);
  }

  /** Acknowledged ids not delivered yet. */
  missing(): string[] {
    return [...this.acked].filter((id) => !this.deliveries.has(id));
  }

  /** Hand-outs of one job whose reservation windows overlap, as `[earlier, later]` pairs. */
  overlaps(): [Delivery, Delivery][] {
    const found: [Delivery, Delivery][] = [];
    for (const list of this.deliveries.values()) {
      const sorted = [...list].sort((a, b) => a.from - b.from);
      for (let i = 1; i < sorted.length; i++) {
        const later = sorted[i] as Delivery;
        for (const earlier of sorted.slice(0, i)) {
          if (later.from < earlier.until) found.push([earlier, later]);
        }
      }
    }
    return found;
  }

  report(): DeliveryReport {
    const delivered = [...this.acked].filter((id) => this.deliveries.has(id)).length;
    return {
      pushed: this.acked.size,
      delivered,
      duplicates: [...this.deliveries.values()].filter((list) => list.length > 1).length,
      lost: this.acked.size - delivered,
      overlaps: this.overlaps().length,
      unacknowledged: [...this.deliveries.keys()].filter((id) => !this.acked.has(id)).length,
    };
  }

  /** One line for the test output: `label: pushed 1234, delivered 1234, …`. */
  summary(label: string, extra: Record<string, number | string> = {}): string {
    const counts = { ...this.report(), ...extra };
    return `${label}: ${Object.entries(counts)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")}`;
  }
}
