import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { DelayQueue } from "../../src/queue/index.js";

/** What {@link killConnections} did. */
export interface KillStats {
  /** Kills issued. */
  kills: number;
  /** Times the engine's command connection closed. */
  closes: number;
}

/**
 * Until `signal` aborts, breaks `queue`'s Redis connections every 20–80 ms:
 * mostly `CLIENT KILL TYPE normal` from `admin` (server side; `admin` itself is
 * spared), sometimes `TYPE pubsub` (the notification subscriber), sometimes
 * `queue.redis.disconnect(true)` (client side), and now and then the reconnect
 * as well, so that ioredis gives up on its queued calls and rejects them.
 */
export async function killConnections(
  queue: DelayQueue,
  admin: Redis,
  signal: AbortSignal,
): Promise<KillStats> {
  const stats: KillStats = { kills: 0, closes: 0 };
  const onClose = () => stats.closes++;
  const killReconnect = () => queue.redis.disconnect(true);
  queue.redis.on("close", onClose);
  try {
    while (!signal.aborted) {
      await sleep(20 + Math.floor(Math.random() * 60));
      const n = stats.kills++;
      if (n % 6 === 1) queue.redis.once("connect", killReconnect);
      if (n % 4 === 3) queue.redis.disconnect(true);
      else await admin.client("KILL", "TYPE", n % 7 === 5 ? "pubsub" : "normal");
    }
  } finally {
    queue.redis.off("close", onClose);
    queue.redis.off("connect", killReconnect);
  }
  return stats;
}
