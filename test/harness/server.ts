import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, type ServerOptions, startServer } from "../../src/server/index.js";
import { uniquePrefix } from "./prefix.js";
import type { WithRedis } from "./with-redis.js";

/** Options of a test server; anything not given gets a test-friendly value. */
export type TestServerOptions = Partial<Omit<ServerOptions, "queue">> & {
  queue?: ServerOptions["queue"];
};

/**
 * Starts a server on a free loopback port over the file's Redis, with a fresh
 * key prefix, a silent logger and a 1 s legacy pop wait.
 */
export function startTestServer(
  redis: WithRedis,
  options: TestServerOptions = {},
): Promise<RunningServer> {
  return startServer({
    host: "127.0.0.1",
    port: 0,
    legacyPopTimeoutSeconds: 1,
    requestLimitBytes: 1024 * 1024 + 64 * 1024,
    shutdownTimeoutMs: 5000,
    logger: pino({ level: process.env.LOG_LEVEL ?? "silent" }),
    ...options,
    queue: { connection: redis.server.url, prefix: uniquePrefix("srv"), ...options.queue },
  });
}

/** What {@link withServer} returns. */
export interface WithServer {
  /** The file's server; available inside tests, after `beforeAll`. */
  readonly server: RunningServer;
  /** Shorthand for `server.url`. */
  readonly url: string;
}

/**
 * One server for a test file: started in `beforeAll` (after `withRedis`'s),
 * closed in `afterAll`. Call it at the top of the file, after `withRedis()`.
 */
export function withServer(redis: WithRedis, options: TestServerOptions = {}): WithServer {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(redis, options);
  });
  afterAll(async () => {
    await server?.close();
  });
  const get = (): RunningServer => {
    if (!server) throw new Error("withServer(): .server is only available in tests");
    return server;
  };
  return {
    get server() {
      return get();
    },
    get url() {
      return get().url;
    },
  };
}
