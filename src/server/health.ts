import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { DelayQueueService } from "../../gen/delayqueue/v1/delay_queue_pb.js";
import {
  Health,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { DelayQueue } from "../queue/index.js";

/** Longest a health probe waits for Redis to answer PING. */
const PING_TIMEOUT_MS = 1000;

/**
 * Whether the queue's Redis answers PING within a second. Never throws: a
 * Redis that is down, reconnecting or closed is simply not healthy.
 */
export async function redisAnswers(queue: DelayQueue): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  try {
    const pong = queue.redis.ping().then(
      (answer) => answer === "PONG",
      () => false,
    );
    return await Promise.race([pong, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// The whole server ("") and the one service it hosts; any other name is unknown.
const knownServices = new Set(["", DelayQueueService.typeName]);

/**
 * Longest service name that an error quotes. The message travels back as a
 * gRPC trailer, and HTTP/2 caps a header block: a name of 70 000 characters
 * got the stream reset, with no status at all.
 */
const MAX_QUOTED_NAME = 200;

function unknownService(name: string): ConnectError {
  const shown =
    name.length <= MAX_QUOTED_NAME ? `"${name}"` : `(a name of ${name.length} characters)`;
  return new ConnectError(`unknown service ${shown}`, Code.NotFound);
}

/**
 * Routes for `grpc.health.v1.Health`: SERVING while Redis answers PING,
 * NOT_SERVING otherwise. Watch answers once and holds the stream until the
 * client leaves or `closing` aborts (the server stops), so a stop never
 * waits on a watcher.
 */
export function healthRoutes(router: ConnectRouter, queue: DelayQueue, closing: AbortSignal): void {
  const status = async (): Promise<HealthCheckResponse> =>
    create(HealthCheckResponseSchema, {
      status: (await redisAnswers(queue)) ? Status.SERVING : Status.NOT_SERVING,
    });
  router.service(Health, {
    async check(req) {
      if (!knownServices.has(req.service)) {
        throw unknownService(req.service);
      }
      return status();
    },
    async *watch(req, context) {
      if (!knownServices.has(req.service)) {
        yield create(HealthCheckResponseSchema, { status: Status.SERVICE_UNKNOWN });
      } else {
        yield await status();
      }
      await untilAborted(AbortSignal.any([context.signal, closing]));
    },
  });
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}
