import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type TokenCheck, unauthenticatedMessage } from "./auth.js";
import { abortWhenClientLeaves } from "./call-abort.js";
import {
  errorMessage,
  failure,
  isServerFault,
  type LegacyAction,
  type LegacyActions,
  ok,
} from "./legacy-actions.js";
import { readFields } from "./legacy-input.js";

/** Options of {@link legacyRoutes}. */
export interface LegacyRoutesOptions {
  /** What each path does; see `legacyActions`. */
  actions: LegacyActions;
  /** Largest body, bytes. */
  bodyLimit: number;
  /** Bearer-token check; pass `() => true` when no tokens are configured. */
  authorized: TokenCheck;
}

/**
 * `POST /push /pop /delete /finish /get` as the Go delay-queue serves them:
 * JSON in (whatever the content type: `curl -d` sends form encoding), the
 * `{code, message, data}` envelope out with HTTP 200, failures as `code: 1`.
 * Each route runs its {@link LegacyAction}, which calls the same service
 * method as the RPC does. The legacy fast path serves the common case of the
 * same routes without fastify; this plugin is the reference it must match.
 *
 * Register it without `fastify-plugin`: its body parser and error handler
 * must stay inside its own context.
 */
export async function legacyRoutes(app: FastifyInstance, opts: LegacyRoutesOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: opts.bodyLimit },
    (_req, body, done) => done(null, body),
  );
  // The Go service reads every body as JSON; a missing or even malformed content type
  // must not stop a JSON body here.
  app.addHook("onRequest", (request, _reply, done) => {
    // Plain JSON needs nothing; deleting a header costs the headers object its fast shape.
    const headers = request.raw.headers;
    if (headers["content-type"] !== undefined && headers["content-type"] !== "application/json")
      delete headers["content-type"];
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Only the server's own faults are logged: a caller's mistake is answered, not logged,
    // since its message may quote what the caller sent (a topic, a piece of the body).
    if (isServerFault(error))
      request.log.error({ reqId: request.id, err: error }, "legacy route failed");
    reply.code(200).send(failure(errorMessage(error, opts.bodyLimit)));
  });

  /** Long-poll routes watch for the client leaving; the others skip that per-request cost. */
  const route = (path: string, action: LegacyAction) => {
    app.post(path, { bodyLimit: opts.bodyLimit }, async (request, reply) => {
      if (!opts.authorized(request.headers.authorization)) return failure(unauthenticatedMessage);
      const fields = readFields(request.body);
      if (!action.longPoll) return ok(await action.run(fields));
      const disconnected = watchDisconnect(request, reply);
      try {
        return ok(await action.run(fields, disconnected.signal));
      } finally {
        disconnected.stop();
      }
    });
    // The Go service took any method; we answer the others in its envelope, not with a 404.
    app.route({
      method: ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
      url: path,
      handler: async () => failure(`${path} takes POST with a JSON body`),
    });
  };

  for (const [path, action] of opts.actions) route(path, action);
}

/** fastify routes, unlike Connect handlers, get no signal of their own. */
function watchDisconnect(request: FastifyRequest, reply: FastifyReply) {
  const raw = request.raw as IncomingMessage | Http2ServerRequest;
  return abortWhenClientLeaves(
    reply.raw,
    "stream" in raw ? raw.stream.destroyed : raw.socket.destroyed,
  );
}
