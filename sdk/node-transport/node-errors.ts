import { constants } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

/** Error codes of Node's sockets and streams, by the RPC code a failed call gets (as connect-node maps them). */
const codeOfNodeError: Record<string, Code> = {
  ERR_STREAM_WRITE_AFTER_END: Code.Aborted,
  ERR_STREAM_DESTROYED: Code.Aborted,
  ERR_HTTP2_INVALID_STREAM: Code.Aborted,
  ECONNRESET: Code.Aborted,
  ETIMEDOUT: Code.Unavailable,
  ENOTFOUND: Code.Unavailable,
  EAI_AGAIN: Code.Unavailable,
  ECONNREFUSED: Code.Unavailable,
};

/** A failure of Node's HTTP machinery as a `ConnectError`, the original kept as `cause`. */
export function errorFromNode(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  let code = Code.Internal;
  for (let e: unknown = reason, depth = 0; e instanceof Error && depth < 8; depth++) {
    const nodeCode = (e as { code?: unknown }).code;
    const mapped = typeof nodeCode === "string" ? codeOfNodeError[nodeCode] : undefined;
    if (mapped !== undefined) {
      code = mapped;
      break;
    }
    e = e.cause;
  }
  const error = ConnectError.from(reason, code);
  if (error !== reason) error.cause = reason;
  return error;
}

/** RPC codes of HTTP/2 reset codes, as the gRPC spec maps them; other resets are Internal. */
const codeOfReset = new Map<number, Code>([
  [constants.NGHTTP2_REFUSED_STREAM, Code.Unavailable],
  [constants.NGHTTP2_CANCEL, Code.Canceled],
  [constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.ResourceExhausted],
  [constants.NGHTTP2_INADEQUATE_SECURITY, Code.PermissionDenied],
  [constants.NGHTTP2_HTTP_1_1_REQUIRED, Code.PermissionDenied],
]);

/** The failure of a stream the server reset before it answered in full. */
export function errorFromReset(rstCode: number): ConnectError {
  return new ConnectError(
    `http/2 stream closed with error code 0x${rstCode.toString(16)}`,
    codeOfReset.get(rstCode) ?? Code.Internal,
  );
}
