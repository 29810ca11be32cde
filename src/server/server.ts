import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { createDelayQueue, type DelayQueue } from "../queue/index.js";
import { DelayQueueRpc } from "../service/index.js";
import { buildApp } from "./app.js";
import type { Listener } from "./listener.js";
import type { ServerOptions } from "./options.js";

/** A listening server; `close()` stops it gracefully. */
export interface RunningServer {
  /** Base URL for clients, e.g. `http://127.0.0.1:9277` (a wildcard host reads as loopback). */
  url: string;
  /** The port bound (the real one when `options.port` was 0). */
  port: number;
  /** The host bound, as given. */
  host: string;
  /** The queue behind every way in. */
  queue: DelayQueue;
  /**
   * Graceful stop (DESIGN §4): no new connections; parked pops answer "no
   * job"; calls in flight finish; HTTP/2 sessions get GOAWAY; the scheduler
   * and Redis close. Connections still open after `shutdownTimeoutMs` are
   * cut. Safe to call twice.
   */
  close(): Promise<void>;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Connects the queue to Redis, builds the app and listens on `options.host:options.port`. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const queue = await createDelayQueue({ logger: options.logger, ...options.queue });
  const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let app: FastifyInstance | undefined;
  try {
    app = buildApp(options, new DelayQueueRpc(queue), queue);
    // queue.close() ends parked pops with "no job" (so their responses go out before
    // connections are closed), waits for calls in flight, then closes Redis. It runs in
    // preClose, before fastify closes idle connections and sends GOAWAY. A Redis that
    // stopped answering (no reset, just silence) could hold it open: bound the wait.
    app.addHook("preClose", async () => {
      if (!(await settlesWithin(queue.close(), timeoutMs))) {
        options.logger.warn({ timeoutMs }, "the queue did not close in time; stopping anyway");
      }
    });
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app?.close().catch(() => {});
    await queue.close();
    throw error;
  }

  const listening = app;
  const port = (listening.server.address() as AddressInfo).port;
  const scheme = options.tls ? "https" : "http";
  let closing: Promise<void> | undefined;
  return {
    url: `${scheme}://${urlHost(options.host)}:${port}`,
    port,
    host: options.host,
    queue,
    close() {
      closing ??= stop(listening, timeoutMs);
      return closing;
    },
  };
}

async function stop(app: FastifyInstance, timeoutMs: number): Promise<void> {
  // A client that never reads its response (or a stuck stream) must not hold the stop forever.
  const force = setTimeout(
    () => (app.server as unknown as Listener).closeAllConnections(),
    timeoutMs,
  );
  force.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}

/** Whether `promise` settles within `ms`; it is left to run either way. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
