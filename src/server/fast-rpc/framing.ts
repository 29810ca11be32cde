import { Code, ConnectError } from "@connectrpc/connect";

/** Bytes before each gRPC message: one flags byte, then the length as a 32-bit big-endian. */
export const FRAME_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;

/**
 * Collects a request body from the chunks it arrives in, refusing it as soon
 * as it is known to exceed `limit` bytes. With `framed`, the body is one gRPC
 * length-prefixed message and the limit applies to the message, checked as
 * soon as its length prefix is in (as connect-es does).
 */
export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private declared = -1;

  constructor(
    private readonly limit: number,
    private readonly framed: boolean,
  ) {}

  /**
   * Adds a chunk.
   * @throws ConnectError `resource_exhausted` once the body or message is known to be too large
   */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (!this.framed) {
      if (this.received > this.limit) {
        throw new ConnectError(
          `message size is larger than configured readMaxBytes ${this.limit}`,
          Code.ResourceExhausted,
        );
      }
      return;
    }
    if (this.declared < 0 && this.received >= FRAME_HEADER_BYTES) {
      this.declared = this.header().readUInt32BE(1);
      if (this.declared > this.limit) {
        throw new ConnectError(
          `message size ${this.declared} is larger than configured readMaxBytes ${this.limit}`,
          Code.ResourceExhausted,
        );
      }
    }
  }

  /** The whole body, as received. */
  bytes(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
  }

  /**
   * The one message of a finished gRPC body, with connect-es's answers for a body
   * that is not exactly one uncompressed frame.
   * @throws ConnectError for no frame, a cut frame, a compressed one, or more than one
   */
  message(): Buffer {
    const body = this.bytes();
    if (body.length === 0) {
      throw new ConnectError(
        "protocol error: missing input message for unary method",
        Code.Unimplemented,
      );
    }
    const end = FRAME_HEADER_BYTES + this.declared;
    if (body.length < FRAME_HEADER_BYTES || body.length < end) {
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    if (((body[0] as number) & COMPRESSED_FLAG) !== 0) {
      // connect-es says `internal`; rpc-errors.ts makes it `invalid_argument`, as here.
      throw new ConnectError(
        "received compressed envelope, but do not know how to decompress",
        Code.InvalidArgument,
      );
    }
    if (body.length > end) {
      // A second frame, whole or cut: connect-es reads whether it is whole only after
      // it has found it extra.
      throw new ConnectError(
        body.length - end >= FRAME_HEADER_BYTES &&
          body.length - end - FRAME_HEADER_BYTES >= body.readUInt32BE(end + 1)
          ? "protocol error: received extra input message for unary method"
          : "protocol error: incomplete envelope",
        body.length - end >= FRAME_HEADER_BYTES ? Code.Unimplemented : Code.InvalidArgument,
      );
    }
    return body.subarray(FRAME_HEADER_BYTES, end);
  }

  private header(): Buffer {
    const first = this.chunks[0] as Buffer;
    return first.length >= FRAME_HEADER_BYTES ? first : Buffer.concat(this.chunks);
  }
}

/** `message` as one uncompressed gRPC frame. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

// Space and visible ASCII but `%` go as they are (gRPC over HTTP/2, "Percent-Encoded").
const plain = /^[\x20-\x24\x26-\x7e]*$/;

/**
 * A `grpc-message` value: the UTF-8 of `message` percent-encoded as the gRPC
 * spec says. A lone surrogate, which has no UTF-8, goes as U+FFFD.
 */
export function percentEncode(message: string): string {
  if (plain.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message.replace(/\p{Cs}/gu, "\uFFFD"), "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
