import type { AckedPushes } from "./keyspace.js";

/**
 * What a fuzz run saw: how often each outcome came (`code 1`,
 * `invalid_argument`, `grpc 3`, …), the failures (answers that were not a
 * clean error or success), and the pushes that succeeded, which are the only
 * jobs Redis may hold afterwards.
 */
export class FuzzTally {
  readonly outcomes = new Map<string, number>();
  readonly failures: string[] = [];
  readonly acked: AckedPushes & { ids: Set<string>; topics: Set<string> } = {
    ids: new Set(),
    topics: new Set(),
  };

  count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Case `index` (replayable from the seed) got an unclean answer. */
  fail(index: number, what: string, detail: string): void {
    this.count("FAILED");
    this.failures.push(`#${index} ${what}: ${detail.slice(0, 300)}`);
  }

  /** A push of `id` to `topic` succeeded. */
  ackPush(id: string, topic: string): void {
    this.acked.ids.add(id);
    this.acked.topics.add(topic);
  }

  /** `label: seed S, N cases, outcomes {…}, pushes acknowledged K`. */
  summary(label: string, seed: number): string {
    const total = [...this.outcomes.values()].reduce((sum, n) => sum + n, 0);
    const outcomes = [...this.outcomes].sort(([a], [b]) => a.localeCompare(b));
    return `${label}: seed ${seed} (replay: FUZZ_SEED=${seed}), ${total} cases, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, pushes acknowledged ${this.acked.ids.size}`;
  }
}

/** Runs `each` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  each: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await each(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
