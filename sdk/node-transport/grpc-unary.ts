import type { OutgoingHttpHeaders } from "node:http";
import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import {
  validateResponseWithCompression,
  validateTrailer,
} from "@connectrpc/connect/protocol-grpc";
import { type Reply, toHeaders } from "./exchange.js";
import type { UnaryProtocol } from "./unary-protocol.js";

/** The gRPC protocol's unary call: one length-prefixed message each way, the status in trailers. */
export const grpcUnary: UnaryProtocol = {
  headers(timeoutMs) {
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/grpc+proto",
      // The gRPC-over-HTTP/2 spec asks for it (proxies that drop trailers show up at once).
      te: "trailers",
    };
    if (timeoutMs !== undefined) headers["grpc-timeout"] = `${timeoutMs}m`;
    return headers;
  },

  body: (schema, message) => encodeEnvelope(0, toBinary(schema, message)),

  read(schema, reply) {
    const { status, headers, trailers, body } = reply;
    const encoding = headers["grpc-encoding"];
    if (
      status === 200 &&
      String(headers["content-type"]).startsWith("application/grpc") &&
      headers["grpc-status"] === undefined &&
      (encoding === undefined || encoding === "identity") &&
      trailers?.["grpc-status"] === "0"
    ) {
      const messages = splitFrames(body);
      if (messages.length === 1) return fromBinary(schema, messages[0] as Uint8Array);
    }
    return readSlowly(schema, reply);
  },

  metadata: (reply) => [toHeaders(reply.headers), toHeaders(reply.trailers)],
};

/**
 * Anything but a plain success, checked in the order connect-es's gRPC
 * transport checks it, so that every failure rejects as it would there.
 */
function readSlowly<S extends DescMessage>(schema: S, reply: Reply): MessageShape<S> {
  const header = toHeaders(reply.headers);
  const trailer = toHeaders(reply.trailers);
  // No compression offered, so any encoding but identity is refused.
  const { headerError } = validateResponseWithCompression([], reply.status, header);
  const messages = splitFrames(reply.body);
  if (messages.length > 1) {
    throw new ConnectError(
      "protocol error: received extra output message for unary method",
      Code.Unimplemented,
    );
  }
  validateTrailer(trailer, header);
  const [message] = messages;
  if (message === undefined) {
    if (headerError) throw headerError;
    throw new ConnectError(
      "protocol error: missing output message for unary method",
      trailer.has("grpc-status") ? Code.Unimplemented : Code.Unknown,
    );
  }
  if (headerError) {
    throw new ConnectError(
      "protocol error: received output message for unary method with error status",
      Code.Unknown,
    );
  }
  return fromBinary(schema, message);
}

/** The messages of a gRPC body; a compressed or cut-off one is a protocol error. */
function splitFrames(body: Buffer): Uint8Array[] {
  const messages: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5) {
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    const flags = body[at] as number;
    const length = body.readUInt32BE(at + 1);
    if (body.length - at - 5 < length) {
      throw new ConnectError(
        "protocol error: promised more bytes than received",
        Code.InvalidArgument,
      );
    }
    if ((flags & 0b1) !== 0) {
      throw new ConnectError(
        "received compressed envelope, but no compression was negotiated",
        Code.Internal,
      );
    }
    messages.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return messages;
}
