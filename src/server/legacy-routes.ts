import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  DeleteRequestSchema,
  FinishRequestSchema,
  GetRequestSchema,
  PopRequestSchema,
  PushRequestSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";
import type { StopSignal } from "../queue/index.js";
import type { DelayQueueRpc } from "../service/index.js";
import { type TokenCheck, unauthenticatedMessage } from "./auth.js";
import { CallAbort } from "./call-abort.js";
import {
  type Fields,
  LegacyInputError,
  readFields,
  secondsField,
  stringField,
  topicList,
  wholeSecondsField,
} from "./legacy-input.js";

/** Options of {@link legacyRoutes}. */
export interface LegacyRoutesOptions {
  /** The same service the RPCs call: one place for every rule. */
  rpc: DelayQueueRpc;
  /** `/pop`'s wait when the request names no `timeout`, seconds (ini `queue_block_timeout`). */
  popTimeoutSeconds: number;
  /** Largest body, bytes. */
  bodyLimit: number;
  /** Bearer-token check; pass `() => true` when no tokens are configured. */
  authorized: TokenCheck;
}

/** The Go service's response envelope, always sent with HTTP 200. */
export interface Envelope {
  /** 0 on success, 1 on any failure (the Go service's only failure code). */
  code: 0 | 1;
  message: string;
  data: unknown;
}

const ok = (data: unknown = null): Envelope => ({ code: 0, message: "ok", data });
const failure = (message: string): Envelope => ({ code: 1, message, data: null });

type Action = (fields: Fields, signal?: StopSignal) => Promise<unknown>;

/**
 * `POST /push /pop /delete /finish /get` as the Go delay-queue serves them:
 * JSON in (whatever the content type: `curl -d` sends form encoding), the
 * `{code, message, data}` envelope out with HTTP 200, failures as `code: 1`.
 * Each route builds the RPC's request message and calls the same
 * {@link DelayQueueRpc} method as the RPC does.
 *
 * Register it without `fastify-plugin`: its body parser and error handler
 * must stay inside its own context.
 */
export async function legacyRoutes(app: FastifyInstance, opts: LegacyRoutesOptions): Promise<void> {
  const { rpc } = opts;

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

  /** `longPoll` routes watch for the client leaving; the others skip that per-request cost. */
  const route = (path: string, action: Action, longPoll = false) => {
    app.post(path, { bodyLimit: opts.bodyLimit }, async (request, reply) => {
      if (!opts.authorized(request.headers.authorization)) return failure(unauthenticatedMessage);
      const fields = readFields(request.body);
      if (!longPoll) return ok(await action(fields));
      const disconnected = watchDisconnect(request, reply);
      try {
        return ok(await action(fields, disconnected.signal));
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

  route("/push", async (fields) => {
    await rpc.push(
      create(PushRequestSchema, {
        topic: stringField(fields, "topic"),
        id: stringField(fields, "id"),
        delay: wholeSecondsField(fields, "delay"),
        ttr: wholeSecondsField(fields, "ttr"),
        // The Go service took a missing body as "".
        body: stringField(fields, "body", ""),
      }),
    );
    return null;
  });

  route(
    "/pop",
    async (fields, signal) => {
      const request = create(PopRequestSchema, {
        topics: topicList(fields),
        timeout: secondsField(fields, "timeout", opts.popTimeoutSeconds),
      });
      const { job } = await rpc.pop(request, signal);
      return job ? { id: job.id, body: job.body, topic: job.topic } : null;
    },
    true,
  );

  route("/finish", async (fields) => {
    await rpc.finish(create(FinishRequestSchema, { id: stringField(fields, "id") }));
    return null;
  });

  route("/delete", async (fields) => {
    await rpc.delete(create(DeleteRequestSchema, { id: stringField(fields, "id") }));
    return null;
  });

  route("/get", async (fields) => {
    try {
      const { job } = await rpc.get(create(GetRequestSchema, { id: stringField(fields, "id") }));
      if (!job) return null;
      return {
        topic: job.topic,
        id: job.id,
        // The Go service's `delay` in a stored job is its due time, unix seconds.
        delay: job.dueTime ? Math.floor(timestampMs(job.dueTime) / 1000) : 0,
        // Whole seconds as the legacy API speaks them; an RPC-pushed 0.5 s reads as 1.
        ttr: Math.ceil(job.ttr),
        body: job.body,
      };
    } catch (error) {
      // The Go service answers an unknown id with data null, not a failure.
      if (error instanceof ConnectError && error.code === Code.NotFound) return null;
      throw error;
    }
  });
}

/**
 * Aborts when the client goes away before its response is written, so a
 * parked pop stops waiting and takes no job. fastify routes, unlike Connect
 * handlers, get no signal of their own.
 */
const clientLeft = new Error("the client went away");

function watchDisconnect(
  request: FastifyRequest,
  reply: FastifyReply,
): { signal: StopSignal; stop(): void } {
  const controller = new CallAbort();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort(clientLeft);
  };
  res.once("close", onClose);
  // The client may have left while the body was being read, before we listened.
  const raw = request.raw as IncomingMessage | Http2ServerRequest;
  if ("stream" in raw ? raw.stream.destroyed : raw.socket.destroyed) controller.abort(clientLeft);
  return { signal: controller.signal, stop: () => res.off("close", onClose) };
}

const serverFaults = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** True for failures the caller did not cause (and that a Redis outage does not explain). */
function isServerFault(error: FastifyError): boolean {
  const thrown: unknown = error;
  if (thrown instanceof ConnectError) return serverFaults.has(thrown.code);
  if (error instanceof LegacyInputError) return false;
  return (error.statusCode ?? 500) >= 500;
}

function errorMessage(error: FastifyError, bodyLimit: number): string {
  const thrown: unknown = error;
  if (thrown instanceof ConnectError) return thrown.rawMessage;
  if (error instanceof LegacyInputError) return error.message;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return `request body is larger than ${bodyLimit} bytes`;
  }
  if ((error.statusCode ?? 500) < 500) return error.message;
  return "internal error";
}
