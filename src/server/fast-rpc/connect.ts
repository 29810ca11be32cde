import type { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ServerHttp2Stream } from "node:http2";
import type { Readable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import type { CallContext } from "./call-context.js";
import { BodyCollector } from "./framing.js";
import { header } from "./header.js";
import type { FastMethod } from "./methods.js";
import { readBody, runCall } from "./run-call.js";

/** What the fast path takes as Connect unary: binary protobuf only; JSON stays with connect-es. */
export const connectProtoType = /^application\/proto$/i;
const PROTO = "application/proto";
const JSON_TYPE = "application/json";

/** One HTTP exchange, HTTP/1.1 or HTTP/2, as the Connect responder needs it. */
interface Exchange {
  readonly body: Readable;
  /** Emits `close` when the exchange ends, answered or not. */
  readonly closes: EventEmitter;
  /** Sends the whole response; `bodyRead` false means the request body was not read to its end. */
  respond(status: number, contentType: string, body: Uint8Array, bodyRead: boolean): void;
}

/** Serves a Connect unary call that came in over HTTP/1.1. */
export function serveConnectH1(
  req: IncomingMessage,
  res: ServerResponse,
  method: FastMethod,
  context: CallContext,
): void {
  serveConnect(
    {
      body: req,
      closes: res,
      respond(status, contentType, body, bodyRead) {
        if (res.destroyed || res.headersSent) return;
        // A half-read body would be taken for the next request on this connection.
        if (!bodyRead) res.shouldKeepAlive = false;
        res.writeHead(status, { "content-type": contentType, "content-length": body.length });
        res.end(body);
      },
    },
    req.headers,
    method,
    context,
  );
}

/** Serves a Connect unary call that came in over HTTP/2. */
export function serveConnectH2(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: FastMethod,
  context: CallContext,
): void {
  serveConnect(
    {
      body: stream,
      closes: stream,
      respond(status, contentType, body, bodyRead) {
        if (stream.destroyed || stream.closed || stream.headersSent) return;
        try {
          stream.respond({
            ":status": status,
            "content-type": contentType,
            "content-length": body.length,
          });
          stream.end(body);
          // The rest of the body is left unread, as in grpc.ts.
          if (!bodyRead) stream.pause();
        } catch {
          // The session went away between the check and the write: nobody is left to tell.
        }
      },
    },
    headers,
    method,
    context,
  );
}

function serveConnect(
  exchange: Exchange,
  headers: IncomingHttpHeaders,
  method: FastMethod,
  context: CallContext,
): void {
  const done = context.started("connect", method.path);
  const fail = (error: ConnectError, bodyRead = true) => {
    exchange.respond(
      codeToHttpStatus(error.code),
      JSON_TYPE,
      errorToJsonBytes(error, {}),
      bodyRead,
    );
    done(error);
  };
  const timeout = header(headers["connect-timeout-ms"]);
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    if (!/^\d{1,10}$/.test(timeout)) {
      const message = `protocol error: invalid connect timeout value: ${timeout}`;
      fail(new ConnectError(message, Code.InvalidArgument), false);
      return;
    }
    timeoutMs = Number(timeout);
  }
  const declared = Number(headers["content-length"] ?? -1);
  if (declared > context.limitBytes) {
    const message = `message size ${declared} is larger than configured readMaxBytes ${context.limitBytes}`;
    fail(new ConnectError(message, Code.ResourceExhausted), false);
    return;
  }

  const body = new BodyCollector(context.limitBytes, false);
  readBody(
    exchange.body,
    body,
    () =>
      runCall({
        method,
        message: body.bytes(),
        timeoutMs,
        closes: exchange.closes,
        authorized: context.authorized(header(headers.authorization)),
        onResponse: (response) => {
          exchange.respond(200, PROTO, response, true);
          done(undefined);
        },
        onError: (error) => fail(error),
      }),
    (error) => fail(error, false),
  );
}
