import type { OutgoingHttpHeaders } from "node:http";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { appendHeaders, type ConnectError } from "@connectrpc/connect";
import {
  errorFromJsonBytes,
  trailerDemux,
  validateResponseWithCompression,
} from "@connectrpc/connect/protocol-connect";
import { toHeaders } from "./exchange.js";
import type { UnaryProtocol } from "./unary-protocol.js";

/** The Connect protocol's unary call: the bare message each way, a JSON error on failure. */
export const connectUnary: UnaryProtocol = {
  headers(timeoutMs) {
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/proto",
      "connect-protocol-version": "1",
    };
    if (timeoutMs !== undefined) headers["connect-timeout-ms"] = String(timeoutMs);
    return headers;
  },

  body: (schema, message) => toBinary(schema, message),

  read(schema, reply) {
    const { status, headers, body } = reply;
    const encoding = headers["content-encoding"];
    if (
      status === 200 &&
      headers["content-type"] === "application/proto" &&
      (encoding === undefined || encoding === "identity")
    ) {
      return fromBinary(schema, body);
    }
    // Anything else goes through connect-es's own checks, so each failure rejects as there;
    // no compression was offered, so any encoding but identity is refused.
    const header = toHeaders(headers);
    const { isUnaryError, unaryError } = validateResponseWithCompression(
      "unary",
      [],
      true,
      status,
      header,
    );
    if (isUnaryError) {
      const [head, trailer] = trailerDemux(header);
      throw errorFromJsonBytes(body, appendHeaders(head, trailer), unaryError as ConnectError);
    }
    return fromBinary(schema, body);
  },

  metadata: (reply) => trailerDemux(toHeaders(reply.headers)),
};
