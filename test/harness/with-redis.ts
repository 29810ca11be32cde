import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startRedis } from "./redis-server.js";
import type { RedisServer, RedisServerOptions } from "./types.js";

/**
 * True when `REDIS_URL` is set (and not empty): `withRedis()` then uses that server instead of
 * starting one, and cannot stop, kill or restart it. Tests that need those should `skipIf` this.
 */
export const externalRedis: boolean = (process.env.REDIS_URL ?? "") !== "";

/** What {@link withRedis} returns. */
export interface WithRedis {
  /** The server for this test file. Throws outside tests, before `beforeAll` has run. */
  readonly server: RedisServer;
}

/**
 * Gives a test file its own Redis: `beforeAll` starts a private `redis-server`, `afterAll` closes
 * it. Call it at the top of a `describe` (or the file), and read `.server` inside tests.
 *
 * When {@link externalRedis} is true, `options` are ignored and `.server` points at `REDIS_URL`;
 * nothing is flushed, so tests should use a fresh key prefix.
 */
export function withRedis(options?: RedisServerOptions): WithRedis {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    const url = process.env.REDIS_URL;
    server = externalRedis && url ? connectExternal(url) : await startRedis(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server(): RedisServer {
      if (!server) {
        throw new Error("withRedis(): .server is only available in tests, after beforeAll has run");
      }
      return server;
    },
  };
}

/** A RedisServer facade over a server we do not own: clients work, process control does not. */
function connectExternal(url: string): RedisServer {
  const parsed = new URL(url);
  const clients = new Set<Redis>();
  let closed = false;
  const unsupported = (what: string) => async (): Promise<void> => {
    throw new Error(`${what}() is not supported with REDIS_URL: skip this test when externalRedis`);
  };
  return {
    host: parsed.hostname,
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    url,
    dir: "",
    pid: undefined,
    get running() {
      return !closed;
    },
    stop: unsupported("stop"),
    kill: unsupported("kill"),
    restart: unsupported("restart"),
    async close() {
      closed = true;
      for (const client of clients) client.disconnect();
      clients.clear();
    },
    client(options: RedisOptions = {}) {
      if (closed) throw new Error("client() after close()");
      const client = new Redis(url, options);
      clients.add(client);
      client.once("end", () => clients.delete(client));
      return client;
    },
  };
}
