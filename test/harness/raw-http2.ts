import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";

/** Everything a raw HTTP/2 request got back. */
export interface RawAnswer {
  /** `:status`, if response headers came. */
  status: number | undefined;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
  /**
   * The RST_STREAM code when the stream was reset (0: closed normally). After the trailers
   * came, the client itself cancels (8) a stream the server has not read to its end.
   */
  rstCode: number;
  /** A client-side failure: timeout, session error. */
  error: string | undefined;
}

/** Opens an HTTP/2 cleartext session (prior knowledge, as gRPC clients speak it) to `url`. */
export function h2Session(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url);
  session.on("error", () => {});
  return session;
}

/**
 * Sends one request with exactly `body` as its DATA, ends the stream and
 * collects the answer. Nothing is validated or framed: malformed gRPC goes
 * out as it is. Once the trailers are in, the answer is complete; gives up
 * (and resets the stream) after `timeoutMs`.
 */
export function h2Request(
  session: http2.ClientHttp2Session,
  path: string,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  timeoutMs = 10_000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const answer: RawAnswer = {
      status: undefined,
      headers: {},
      trailers: {},
      body: Buffer.alloc(0),
      rstCode: 0,
      error: undefined,
    };
    const chunks: Buffer[] = [];
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": "POST", ":path": path, ...headers });
    } catch (error) {
      resolve({ ...answer, error: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      answer.error = `no answer within ${timeoutMs} ms`;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, timeoutMs);
    stream.on("response", (received) => {
      answer.headers = received;
      answer.status = Number(received[":status"]);
    });
    stream.on("trailers", (received) => {
      answer.trailers = received;
      // The response is complete: like a gRPC client, stop sending whatever the server did not
      // read (it may have answered early, and left the rest unread, stalled on flow control).
      setImmediate(() => {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      });
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", (error) => {
      answer.error ??= error.message;
    });
    stream.on("close", () => {
      clearTimeout(timer);
      answer.rstCode = stream.rstCode ?? 0;
      answer.body = Buffer.concat(chunks);
      resolve(answer);
    });
    stream.end(body);
  });
}
