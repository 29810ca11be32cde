import { setTimeout as sleep } from "node:timers/promises";
import { type Consumer, consume, type DelayQueueClient } from "../../sdk/index.js";
import type { DeliveryLog } from "./delivery-log.js";

/** Options of {@link produce}. */
export interface ProducerOptions {
  topic: string;
  /** ttr of every job, seconds. */
  ttr: number;
  /** Ids are this plus a counter; give each producer its own. */
  idPrefix: string;
  /** Push loops side by side. @defaultValue 4 */
  loops?: number;
  /** Delay of the n-th job, seconds. @defaultValue 0 for even n, up to 0.3 s for odd n */
  delay?: (n: number) => number;
  /** Ends the loops; a push in flight still completes and is logged. */
  signal: AbortSignal;
}

/** What a producer did. */
export interface ProducerStats {
  /** Pushes that resolved (also in the log's `acked`). */
  acked: number;
  /** Pushes that rejected: not acknowledged, though maybe applied. */
  failed: number;
}

const defaultDelay = (n: number) => (n % 2 === 0 ? 0 : (n % 300) / 1000);

/**
 * Pushes jobs with fresh ids through `client` until `signal` aborts, logging
 * each acknowledged one in `log`. A failed push (server or Redis away) is
 * counted, not retried, and the loop pauses 20 ms.
 */
export async function produce(
  client: DelayQueueClient,
  log: DeliveryLog,
  options: ProducerOptions,
): Promise<ProducerStats> {
  const stats: ProducerStats = { acked: 0, failed: 0 };
  let next = 0;
  const loop = async () => {
    while (!options.signal.aborted) {
      const n = next++;
      const id = `${options.idPrefix}${n}`;
      try {
        await client.push({
          topic: options.topic,
          id,
          body: `body of ${id}`,
          delay: (options.delay ?? defaultDelay)(n),
          ttr: options.ttr,
        });
        log.ack(id);
        stats.acked++;
      } catch {
        stats.failed++;
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: options.loops ?? 4 }, loop));
  return stats;
}

/** Options of {@link startConsumer}. */
export interface LoggingConsumerOptions {
  topics: readonly string[];
  /** Name recorded with each delivery. */
  name: string;
  /** Pop loops. @defaultValue 4 */
  concurrency?: number;
  /** Long-poll wait, seconds. @defaultValue 1 */
  pollTimeout?: number;
}

/** A running SDK consumer that logs every hand-out; `errors` counts what it survived. */
export interface LoggingConsumer {
  readonly consumer: Consumer;
  readonly errors: number;
}

/**
 * Runs the SDK's `consume()` on `client`: each job is logged in `log` and
 * finished at once (with its token), well within its ttr. Pop failures back
 * off from 50 ms to 500 ms, so a restarted server is found quickly.
 */
export function startConsumer(
  client: DelayQueueClient,
  log: DeliveryLog,
  options: LoggingConsumerOptions,
): LoggingConsumer {
  let errors = 0;
  const consumer = consume(client, {
    topics: options.topics,
    concurrency: options.concurrency ?? 4,
    pollTimeout: options.pollTimeout ?? 1,
    backoff: { initialMs: 50, maxMs: 500 },
    handler: (job) => log.deliver(job, options.name),
    onError: () => {
      errors++;
    },
  });
  return {
    consumer,
    get errors() {
      return errors;
    },
  };
}
