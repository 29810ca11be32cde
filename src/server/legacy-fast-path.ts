import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { TokenCheck } from "./auth.js";
import { unauthenticatedMessage } from "./auth.js";
import { abortWhenClientLeaves } from "./call-abort.js";
import { BodyCollector } from "./fast-rpc/framing.js";
import { readBody } from "./fast-rpc/run-call.js";
import {
  type Envelope,
  errorMessage,
  failure,
  isServerFault,
  type LegacyAction,
  type LegacyActions,
  ok,
  type RouteError,
} from "./legacy-actions.js";
import { readFields } from "./legacy-input.js";
import type { FastPath } from "./listener.js";

/** Options of {@link createLegacyFastPath}. */
export interface LegacyFastPathOptions {
  /** The same actions the fastify legacy routes run. */
  actions: LegacyActions;
  /** The same token check as every other way in. */
  authorized: TokenCheck;
  /** Largest body, bytes: larger ones go to fastify, which refuses them. */
  bodyLimit: number;
  logger: Logger;
}

/**
 * The legacy routes' common case without fastify: an HTTP/1.1 `POST` to
 * exactly `/push`, `/pop`, `/finish`, `/delete` or `/get` with a
 * `content-length` body within the limit. It answers as the fastify routes
 * do, byte for byte but for the `date` header: the same envelope, token check,
 * messages and logging of faults. Anything else (a query string, a chunked,
 * empty or oversized body, another method) falls through to fastify, and so
 * does every request while debug logging is on, so that each one gets
 * fastify's request log lines.
 *
 * Per request it skips fastify's request and reply objects, hooks and body
 * parser, so each legacy call costs the server less CPU (docs/PERFORMANCE.md).
 */
export function createLegacyFastPath(options: LegacyFastPathOptions): FastPath {
  const { actions, bodyLimit, logger } = options;
  let stopped = false;
  let sequence = 0;

  const answer = (res: ServerResponse, envelope: Envelope) => {
    if (res.destroyed || res.headersSent) return;
    const json = JSON.stringify(envelope);
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(json),
    });
    res.end(json);
  };

  const fail = (res: ServerResponse, thrown: unknown) => {
    const error: RouteError = thrown instanceof Error ? thrown : new Error(String(thrown));
    // As the fastify routes: a caller's mistake is answered, not logged, since its message may
    // quote what the caller sent.
    if (isServerFault(error))
      logger.error({ reqId: `legacy-${++sequence}`, err: error }, "legacy route failed");
    answer(res, failure(errorMessage(error, bodyLimit)));
  };

  const run = (req: IncomingMessage, res: ServerResponse, action: LegacyAction, body: Buffer) => {
    if (!options.authorized(req.headers.authorization)) {
      answer(res, failure(unauthenticatedMessage));
      return;
    }
    let fields: ReturnType<typeof readFields>;
    try {
      fields = readFields(body);
    } catch (error) {
      fail(res, error);
      return;
    }
    // Only long polls watch for the client leaving; the others skip that per-request cost.
    const watch = action.longPoll ? abortWhenClientLeaves(res, req.socket.destroyed) : undefined;
    action.run(fields, watch?.signal).then(
      (data) => {
        watch?.stop();
        answer(res, ok(data));
      },
      (error: unknown) => {
        watch?.stop();
        fail(res, error);
      },
    );
  };

  return {
    request(req, res) {
      if (stopped || req.method !== "POST") return false;
      const action = actions.get(req.url ?? "");
      if (!action) return false;
      const headers = req.headers;
      if (headers["transfer-encoding"] !== undefined) return false;
      // A missing or malformed length reads as NaN and goes to fastify too.
      const length = Number(headers["content-length"]);
      if (!(length > 0 && length <= bodyLimit)) return false;
      if (logger.isLevelEnabled("debug")) return false;
      // The declared length is within the limit and Node's parser holds the body to it.
      const body = new BodyCollector(bodyLimit, false);
      readBody(
        req,
        body,
        () => run(req, res, action, body.bytes()),
        (error) => fail(res, error),
      );
      return true;
    },
    stop() {
      stopped = true;
    },
  };
}
