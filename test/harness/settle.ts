import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { DeliveryLog } from "./delivery-log.js";
import { checkInvariants } from "./invariants.js";
import { waitUntil } from "./wait.js";

/** What {@link settleDeliveries} waits on. */
export interface SettleOptions {
  log: DeliveryLog;
  /** A Redis client of the test's own, to read the queue's keys. */
  reader: Redis;
  prefix: string;
  shards: number;
  consumers: readonly { consumer: { stop(): Promise<void> } }[];
  /** Jobs allowed to stay in Redis (ones the test never finishes). Default: 0. */
  leftover?: number;
}

/**
 * The end of a load-under-faults test: waits until every acknowledged push
 * was delivered and Redis holds no job beyond `leftover` (pushes whose answer
 * a fault swallowed, and hand-outs whose finish it swallowed, come back too),
 * then stops the consumers.
 */
export async function settleDeliveries(options: SettleOptions): Promise<void> {
  const { log, reader, prefix, shards, leftover = 0 } = options;
  await waitUntil(() => log.missing().length === 0, {
    timeoutMs: 20_000,
    message: () => `every acknowledged push delivered (${log.missing().length} missing)`,
  });
  await waitUntil(
    async () => (await checkInvariants(reader, prefix, shards)).jobs.size <= leftover,
    {
      timeoutMs: 15_000,
      message: `Redis to hold no more than ${leftover} job(s)`,
    },
  );
  // Let finishes in flight land before the consumers go.
  await sleep(300);
  await Promise.all(options.consumers.map(({ consumer }) => consumer.stop()));
}
