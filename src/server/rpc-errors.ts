import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

/**
 * connect-es's messages for a request it cannot decode: not valid binary protobuf, not
 * valid for its `content-encoding` (brotli errors other than a format error), or a gRPC
 * frame flagged compressed without a `grpc-encoding` it knows.
 */
const undecodable =
  /^(parse binary: |decompression failed$|received compressed envelope, but do not know how to decompress$)/;
const grpcInternal = String(Code.Internal);
const grpcInvalidArgument = String(Code.InvalidArgument);

/**
 * Two fixes for how connect-es (2.1) answers requests it cannot read, found by
 * fuzzing; both act before any interceptor could, so they wrap every handler
 * of the router (call it after the routes are added):
 *
 * - A body that is not valid binary protobuf (cut short, a bad wire type, bad
 *   UTF-8, an endless varint …), some broken brotli, a gRPC frame flagged
 *   compressed with no known encoding: `internal`, while bad JSON or gzip get
 *   `invalid_argument`. The caller sent them, so they are `invalid_argument`
 *   here too: HTTP 400 for Connect, grpc-status 3 for gRPC and gRPC-web.
 * - An error whose message holds a lone surrogate (protobuf-es quotes the bad
 *   JSON value, `"\ud800"`) makes its gRPC trailer encoding throw: the call
 *   ended with no status at all (an empty HTTP 200, or a hang). It now ends
 *   with `invalid_argument`, the message made well-formed.
 */
export function fixRpcErrors(router: ConnectRouter): void {
  router.handlers.forEach((handler, i) => {
    router.handlers[i] = wrap(handler);
  });
}

function wrap(handler: UniversalHandler): UniversalHandler {
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    let res: UniversalServerResponse;
    try {
      res = await handler(req);
    } catch (error) {
      if (!(error instanceof URIError)) throw error;
      return failure(req, "the request holds text that is not valid Unicode");
    }
    const contentType = new Headers(res.header).get("content-type") ?? "";
    if (contentType.startsWith("application/grpc-web")) {
      return res.body ? { ...res, body: fixTrailerFrames(res.body) } : res;
    }
    if (contentType.startsWith("application/grpc")) {
      const trailer = res.trailer;
      if (!(trailer instanceof Headers) || !res.body) return res;
      return { ...res, body: fixAfter(res.body, trailer) };
    }
    if (res.status === 500 && contentType.startsWith("application/json")) return fixConnect(res);
    return res;
  };
  return Object.assign(wrapped, handler);
}

/** An `invalid_argument` answer in the protocol of `req`. */
function failure(req: UniversalServerRequest, message: string): UniversalServerResponse {
  const error = new ConnectError(message, Code.InvalidArgument);
  const contentType = req.header.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) {
    const trailer = new Headers();
    setTrailerStatus(trailer, error);
    return { status: 200, header: headers(contentType), body: once(frame(trailer)) };
  }
  if (contentType.startsWith("application/grpc")) {
    const trailer = new Headers();
    setTrailerStatus(trailer, error);
    return { status: 200, header: headers(contentType), body: once(), trailer };
  }
  const body = errorToJsonBytes(error, {});
  return {
    status: codeToHttpStatus(error.code),
    header: new Headers({ "content-type": "application/json", "content-length": `${body.length}` }),
    body: once(body),
  };
}

/** Connect: the unary error body `{"code":"internal","message":"parse binary: …"}`. */
async function fixConnect(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const header = new Headers(res.header);
  if (!res.body || header.has("content-encoding")) return res;
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body instanceof Uint8Array ? once(res.body) : res.body) {
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown } = {};
  try {
    error = JSON.parse(bytes.toString("utf8"));
  } catch {}
  if (error.code !== "internal" || !undecodable.test(String(error.message))) {
    return { ...res, body: once(bytes) };
  }
  const body = Buffer.from(JSON.stringify({ code: "invalid_argument", message: error.message }));
  header.set("content-length", String(body.byteLength));
  return { ...res, status: 400, header, body: once(body) };
}

/** gRPC: the trailers are final once the body is done, and are sent after it. */
async function* fixAfter(body: AsyncIterable<Uint8Array>, trailer: Headers) {
  yield* body;
  if (isDecodingError(trailer)) trailer.set("grpc-status", grpcInvalidArgument);
}

/** gRPC-web: the trailers travel as the last frame of the body, flagged 0x80, uncompressed. */
async function* fixTrailerFrames(body: AsyncIterable<Uint8Array>) {
  for await (const chunk of body) yield chunk[0] === trailerFlag ? fixTrailerFrame(chunk) : chunk;
}

function fixTrailerFrame(chunk: Uint8Array): Uint8Array {
  const trailer = new Headers();
  for (const line of Buffer.from(chunk.subarray(5)).toString("utf8").split("\r\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    try {
      trailer.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    } catch {
      return chunk; // not a trailer block we can read: leave it alone
    }
  }
  if (!isDecodingError(trailer)) return chunk;
  trailer.set("grpc-status", grpcInvalidArgument);
  return frame(trailer);
}

function isDecodingError(trailer: Headers): boolean {
  if (trailer.get("grpc-status") !== grpcInternal) return false;
  try {
    return undecodable.test(decodeURIComponent(trailer.get("grpc-message") ?? ""));
  } catch {
    return false;
  }
}

/** A gRPC-web trailer frame. */
function frame(trailer: Headers): Uint8Array {
  const data = trailerSerialize(trailer);
  const head = Buffer.alloc(5);
  head[0] = trailerFlag;
  head.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([head, data]);
}

const headers = (contentType: string) => new Headers({ "content-type": contentType });

async function* once(...chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}
