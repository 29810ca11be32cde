import { Redis, type RedisOptions } from "ioredis";

/**
 * Reconnect after 50, 100, … ms, at most 250 ms apart. With `maxRetriesPerRequest: 1`
 * ioredis fails the calls waiting for a connection at every second failed attempt: so while
 * Redis is down a call fails within about a second. (ioredis' own 2 s cap made calls wait up to 8 s.)
 */
const retryStrategy = (attempt: number): number => Math.min(attempt * 50, 250);

const defaultConnection: RedisOptions = { host: "127.0.0.1", port: 6379, retryStrategy };

/** A client the way the engine needs it: failing fast while Redis is away. */
export function connect(connection: string | RedisOptions | undefined, name: string): Redis {
  const base: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  };
  if (typeof connection === "string") return new Redis(connection, { retryStrategy, ...base });
  return new Redis({ ...defaultConnection, ...connection, ...base });
}
