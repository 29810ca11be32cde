import type { Server } from "node:http";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import {
  DelayQueueService,
  file_delayqueue_v1_delay_queue,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import type { DelayQueue } from "../queue/index.js";
import type { DelayQueueRpc } from "../service/index.js";
import { authInterceptor, tokenCheck } from "./auth.js";
import { createFastPath } from "./fast-rpc/index.js";
import { healthRoutes, redisAnswers } from "./health.js";
import { installErrorHandlers } from "./http-errors.js";
import { legacyActions } from "./legacy-actions.js";
import { createLegacyFastPath } from "./legacy-fast-path.js";
import { legacyRoutes } from "./legacy-routes.js";
import { createListener, type FastPath, type RequestHandler } from "./listener.js";
import { metricsRoute } from "./metrics.js";
import type { ServerOptions } from "./options.js";
import { reflectionRoutes } from "./reflection.js";
import { RequestLog } from "./request-log.js";
import { fixRpcErrors } from "./rpc-errors.js";

/**
 * The fastify app behind the one port: Connect, gRPC and gRPC-web for
 * DelayQueueService, `grpc.health.v1`, gRPC reflection, the legacy POST-JSON
 * routes, `GET /healthz` and `GET /metrics`. Its server is the one-port listener of
 * `createListener`, speaking HTTP/1.1 and HTTP/2 on one socket.
 *
 * It does not own `queue`: whoever closes the app closes the queue too
 * (`startServer` does so in `preClose`).
 */
export function buildApp(
  options: ServerOptions,
  rpc: DelayQueueRpc,
  queue: DelayQueue,
): FastifyInstance {
  const authorized = tokenCheck(options.authTokens);
  const actions = legacyActions(rpc, options.legacyPopTimeoutSeconds);
  const fastPaths: FastPath[] = [];
  if (options.rpcFastPath !== false) {
    fastPaths.push(
      createFastPath({
        rpc,
        authorized,
        limitBytes: options.requestLimitBytes,
        logger: options.logger,
      }),
    );
  }
  if (options.legacyFastPath !== false) {
    fastPaths.push(
      createLegacyFastPath({
        actions,
        authorized,
        bodyLimit: options.requestLimitBytes,
        logger: options.logger,
      }),
    );
  }
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's type the default one.
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new RequestLog(),
    // A child logger per request costs a redaction pass over its bindings on every call;
    // the few per-request lines name the request id themselves (see RequestLog).
    childLoggerFactory: (logger) => logger,
    // Applies to the legacy routes; Connect reads its own bodies and uses readMaxBytes below.
    bodyLimit: options.requestLimitBytes,
    serverFactory: (handler) =>
      createListener(handler as RequestHandler, {
        tls: options.tls,
        fastPaths,
      }) as unknown as Server,
  });

  // Nothing at this level reads a body (Connect and the legacy routes bring their own
  // parsers), so an unknown path answers 404 whatever body and content type it was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));

  // Ends what would otherwise hold a stop open: Health.Watch streams.
  const closing = new AbortController();
  app.addHook("preClose", async () => closing.abort());
  // Before the queue closes (startServer's preClose hook comes later): new calls get fastify's
  // answer for a closing server, as with the fast path off.
  app.addHook("preClose", async () => {
    for (const path of fastPaths) path.stop();
  });

  app.register(fastifyConnectPlugin, {
    routes(router) {
      router.service(DelayQueueService, rpc.implementation());
      healthRoutes(router, queue, closing.signal);
      reflectionRoutes(router, [file_delayqueue_v1_delay_queue, file_grpc_health_v1_health]);
      fixRpcErrors(router);
    },
    readMaxBytes: options.requestLimitBytes,
    interceptors: [authInterceptor(authorized)],
  });

  app.register(legacyRoutes, {
    actions,
    bodyLimit: options.requestLimitBytes,
    authorized,
  });

  // For load balancers and container probes: no credentials, no body, Redis or not.
  app.get("/healthz", async (_request, reply) => {
    if (await redisAnswers(queue)) return { status: "ok" };
    return reply.code(503).send({ status: "unavailable", message: "Redis does not answer PING" });
  });
  metricsRoute(app, queue);

  installErrorHandlers(app);
  return app;
}
