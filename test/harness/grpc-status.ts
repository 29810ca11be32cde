import type { IncomingHttpHeaders } from "node:http2";

/** `grpc-status` of a gRPC answer: from the trailers, or the headers of a trailers-only one. */
export function grpcStatusOf(
  headers: IncomingHttpHeaders,
  trailers: IncomingHttpHeaders,
): number | undefined {
  const value = trailers["grpc-status"] ?? headers["grpc-status"];
  return value === undefined ? undefined : Number(value);
}

/**
 * `grpc-status` of a gRPC-web answer: from the headers (trailers-only), or
 * from the trailer frame (flag 0x80) at the end of the body.
 */
export function grpcWebStatusOf(headers: Headers, body: Buffer): number | undefined {
  const inHeaders = headers.get("grpc-status");
  if (inHeaders !== null) return Number(inHeaders);
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body[at] ?? 0;
    const length = body.readUInt32BE(at + 1);
    const data = body.subarray(at + 5, at + 5 + length);
    if ((flags & 0x80) !== 0) {
      const match = /^grpc-status:\s*(\d+)\s*$/im.exec(data.toString("utf8"));
      return match ? Number(match[1]) : undefined;
    }
    at += 5 + length;
  }
  return undefined;
}

/** gRPC codes that mean the server broke, not the request: UNKNOWN, INTERNAL, DATA_LOSS. */
export const brokenGrpcCodes: ReadonlySet<number> = new Set([2, 13, 15]);
