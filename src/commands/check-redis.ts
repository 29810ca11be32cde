import { Redis, type RedisOptions } from "ioredis";

/**
 * Connects once to the configured Redis and sends PING, without retries, so that a Redis that
 * is down, refuses the password or has no such database is reported with its own reason
 * (`connect ECONNREFUSED`, `WRONGPASS …`, `ERR DB index is out of range`) before the server
 * starts. Resolves to that reason, or `undefined` when Redis answered.
 */
export async function checkRedis(options: RedisOptions): Promise<string | undefined> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectionName: "delay-queue:check",
  });
  let reason: string | undefined;
  client.on("error", (error: Error) => {
    reason ??= error.message;
  });
  try {
    await client.connect();
    await client.ping();
    // A failed SELECT (no such db) is only an "error" event: ioredis stays on db 0.
    return reason;
  } catch (error) {
    return reason ?? (error as Error).message;
  } finally {
    // On a connection that never opened, disconnect() would hold the process for
    // `disconnectTimeout` (2 s) waiting for a close that already happened.
    if (client.status !== "end") client.disconnect();
  }
}
