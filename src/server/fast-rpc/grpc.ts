import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CallContext } from "./call-context.js";
import { BodyCollector, frame, percentEncode } from "./framing.js";
import { header } from "./header.js";
import type { FastMethod } from "./methods.js";
import { readBody, runCall } from "./run-call.js";

/** What the fast path takes as gRPC: binary protobuf, any spelling connect-es reads as such. */
export const grpcProtoType = /^application\/grpc(?:\+proto)?$/i;
const CONTENT_TYPE = "application/grpc+proto";
const OK_HEADERS = { ":status": 200, "content-type": CONTENT_TYPE };
const OK_TRAILERS = { "grpc-status": "0" };
const units: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * Serves one unary gRPC call on a raw HTTP/2 stream: one length-prefixed
 * message in, one out, `grpc-status` in the trailers; failures as
 * {@link answerError} sends them.
 */
export function serveGrpc(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: FastMethod,
  context: CallContext,
): void {
  const done = context.started("grpc", method.path);
  const fail = (error: ConnectError, bodyRead = true) => {
    answerError(stream, error, bodyRead);
    done(error);
  };
  const timeout = header(headers["grpc-timeout"]);
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    const match = /^(\d{1,8})([HMSmun])$/.exec(timeout);
    if (!match) {
      const message = `protocol error: invalid grpc timeout value: ${timeout}`;
      fail(new ConnectError(message, Code.InvalidArgument), false);
      return;
    }
    timeoutMs = Number(match[1]) * (units[match[2] as string] as number);
  }

  const body = new BodyCollector(context.limitBytes, true);
  const onBody = () => {
    let message: Buffer;
    try {
      message = body.message();
    } catch (error) {
      fail(error as ConnectError);
      return;
    }
    runCall({
      method,
      message,
      timeoutMs,
      closes: stream,
      authorized: context.authorized(header(headers.authorization)),
      onResponse: (response) => {
        answer(stream, response);
        done(undefined);
      },
      onError: (error) => fail(error),
    });
  };
  readBody(stream, body, onBody, (error) => fail(error, false));
}

function answer(stream: ServerHttp2Stream, response: Uint8Array): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", sendOkTrailers);
    stream.end(frame(response));
  } catch {
    // The session went away between the check and the write: nobody is left to tell.
  }
}

function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/**
 * A failure as "trailers-only" (one HEADERS frame that ends the stream) once the
 * request is read. Before that, as connect-es answers: headers, then trailers,
 * with the rest of the body left unread, so flow control stalls the client
 * until it cancels. (RST_STREAM(NO_ERROR) instead left the session's socket
 * paused after the client's cancel, and a stop waited for its deadline; a
 * trailers-only answer left the client's stream open where it waits for trailers.)
 */
function answerError(stream: ServerHttp2Stream, error: ConnectError, bodyRead: boolean): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const status = {
    "grpc-status": String(error.code),
    "grpc-message": percentEncode(error.rawMessage),
  };
  try {
    if (bodyRead) {
      stream.respond({ ...OK_HEADERS, ...status }, { endStream: true });
      return;
    }
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(status));
    stream.end();
    stream.pause();
  } catch {
    // As in answer().
  }
}
