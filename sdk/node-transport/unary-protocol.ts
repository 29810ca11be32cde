import type { OutgoingHttpHeaders } from "node:http";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Reply } from "./exchange.js";

/** What a protocol (gRPC, Connect) adds to a unary call, binary format only. */
export interface UnaryProtocol {
  /** The protocol's own request headers, with the deadline if there is one. */
  headers(timeoutMs: number | undefined): OutgoingHttpHeaders;
  /** The request body for `message`. */
  body<S extends DescMessage>(schema: S, message: MessageShape<S>): Uint8Array;
  /** The reply's message; throws the call's `ConnectError` when the reply is a failure. */
  read<S extends DescMessage>(schema: S, reply: Reply): MessageShape<S>;
  /** The reply's headers and trailers as the caller sees them (built only when asked for). */
  metadata(reply: Reply): [header: Headers, trailer: Headers];
}
