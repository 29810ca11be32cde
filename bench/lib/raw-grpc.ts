/**
 * A minimal HTTP/2 client for unary gRPC calls, written straight onto a TCP
 * socket: the drain's consumers must chain calls (finish the job the pop
 * returned), which h2load cannot, and `node:http2`'s per-stream objects made
 * the generator, not the server, the limit of the gRPC rows. Per call this
 * builds one buffer (HEADERS + DATA) and keeps one small record; frames of
 * one task leave in one write.
 *
 * It speaks just enough of RFC 9113: the preface and SETTINGS (ACKed both
 * ways), PING ACKs, a large receive window so no WINDOW_UPDATE is ever owed,
 * and GOAWAY. Header blocks it receives are skipped, never decoded (so the
 * HPACK table they may update is never needed): a call succeeded when its
 * stream ended after a DATA frame carried a gRPC message; an error answer
 * (trailers only) carries none.
 */
import type net from "node:net";
import type { Reply } from "./load-h2.js";
import { openRawSocket } from "./raw-socket.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const MAX_WINDOW = 0x7fffffff;

interface Pending {
  resolve(reply: Reply): void;
  data: Buffer[] | undefined;
  /** The stream's last HEADERS had END_STREAM; it ends with that header block. */
  ending: boolean;
}

/** One HTTP/2 connection carrying gRPC calls. */
export class RawGrpcConnection {
  private readonly socket: net.Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly blocks = new Map<string, Buffer>();
  private nextStream = 1;
  private input: Buffer = Buffer.alloc(0);
  private corked = false;
  private closed: string | undefined;
  /** `host:port`, the `:authority` of every request. */
  private readonly authority: string;
  /** Resolves once the TCP connection is up. */
  readonly ready: Promise<void>;

  constructor(url: string) {
    const opened = openRawSocket(url, {
      onData: (chunk) => this.read(chunk),
      onError: (error) => this.fail(String(error)),
      onClose: () => this.fail("connection closed"),
    });
    this.socket = opened.socket;
    this.authority = opened.authority;
    this.ready = opened.ready;
    const settings = frame(SETTINGS, 0, 0, 12);
    // ENABLE_PUSH 0; INITIAL_WINDOW_SIZE at its largest, for every stream.
    settings.writeUInt16BE(0x2, 9);
    settings.writeUInt32BE(0, 11);
    settings.writeUInt16BE(0x4, 15);
    settings.writeUInt32BE(MAX_WINDOW, 17);
    const window = frame(0x8, 0, 0, 4);
    window.writeUInt32BE(MAX_WINDOW - 65_535, 9);
    this.send(Buffer.concat([PREFACE, settings, window]));
  }

  /** Sends one unary call: `message` is the framed gRPC message (5-byte prefix included). */
  call(path: string, message: Buffer): Promise<Reply> {
    if (this.closed)
      return Promise.resolve({ ok: false, message: Buffer.alloc(0), error: this.closed });
    const block = this.headerBlock(path);
    const stream = this.nextStream;
    this.nextStream += 2;
    const out = Buffer.allocUnsafe(9 + block.length + 9 + message.length);
    writeHead(out, 0, block.length, HEADERS, END_HEADERS, stream);
    block.copy(out, 9);
    const at = 9 + block.length;
    writeHead(out, at, message.length, DATA, END_STREAM, stream);
    message.copy(out, at + 9);
    return new Promise((resolve) => {
      this.pending.set(stream, { resolve, data: undefined, ending: false });
      this.send(out);
    });
  }

  /** The connection failed or was closed: no call can succeed on it. */
  get broken(): boolean {
    return this.closed !== undefined;
  }

  close(): void {
    this.closed ??= "closed by the client";
    this.socket.end();
  }

  /** The request's header block, HPACK without indexing or Huffman: nothing to track. */
  private headerBlock(path: string): Buffer {
    let block = this.blocks.get(path);
    if (block) return block;
    block = Buffer.concat([
      Buffer.from([0x83, 0x86]), // :method POST, :scheme http (static table)
      literal(0x04, path), // :path
      literal(0x01, this.authority), // :authority
      Buffer.from([0x0f, 0x10]), // content-type (static index 31)
      string("application/grpc"),
      Buffer.from([0x00]),
      string("te"),
      string("trailers"),
    ]);
    this.blocks.set(path, block);
    return block;
  }

  private send(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  private read(chunk: Buffer): void {
    let input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (input.length >= 9) {
      const length = input.readUIntBE(0, 3);
      if (input.length < 9 + length) break;
      const type = input[3] as number;
      const flags = input[4] as number;
      const stream = input.readUInt32BE(5) & MAX_WINDOW;
      this.frame(type, flags, stream, input.subarray(9, 9 + length));
      input = input.subarray(9 + length);
    }
    this.input = input;
  }

  private frame(type: number, flags: number, stream: number, payload: Buffer): void {
    switch (type) {
      case DATA: {
        const call = this.pending.get(stream);
        if (!call) return;
        const pad = flags & PADDED ? (payload[0] as number) : 0;
        const body = flags & PADDED ? payload.subarray(1, payload.length - pad) : payload;
        // A view of this read's chunk: Node hands each read a buffer of its own.
        if (call.data) call.data.push(body);
        else call.data = [body];
        if (flags & END_STREAM) this.end(stream);
        return;
      }
      case HEADERS:
      case CONTINUATION: {
        const call = this.pending.get(stream);
        if (!call) return;
        if (type === HEADERS && flags & END_STREAM) call.ending = true;
        if (call.ending && flags & END_HEADERS) this.end(stream);
        return;
      }
      case RST_STREAM: {
        const call = this.pending.get(stream);
        this.pending.delete(stream);
        call?.resolve({ ok: false, message: Buffer.alloc(0), error: "stream reset" });
        return;
      }
      case SETTINGS:
        if (!(flags & ACK)) this.send(frame(SETTINGS, ACK, 0, 0));
        return;
      case PING:
        if (!(flags & ACK)) {
          const pong = frame(PING, ACK, 0, 8);
          payload.copy(pong, 9, 0, 8);
          this.send(pong);
        }
        return;
      case GOAWAY:
        this.fail("GOAWAY from the server");
        return;
      default:
      // WINDOW_UPDATE, PRIORITY and the rest need nothing from a client that sends so little.
    }
  }

  private end(stream: number): void {
    const call = this.pending.get(stream);
    if (!call) return;
    this.pending.delete(stream);
    const data = call.data;
    const raw = !data ? undefined : data.length === 1 ? (data[0] as Buffer) : Buffer.concat(data);
    if (!raw || raw.length < 5) {
      call.resolve({ ok: false, message: Buffer.alloc(0), error: "no message: an error status" });
      return;
    }
    call.resolve({ ok: true, message: raw.subarray(5, 5 + raw.readUInt32BE(1)) });
  }

  private fail(reason: string): void {
    this.closed ??= reason;
    for (const call of this.pending.values()) {
      call.resolve({ ok: false, message: Buffer.alloc(0), error: reason });
    }
    this.pending.clear();
  }
}

function writeHead(
  out: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  stream: number,
): void {
  out.writeUIntBE(length, at, 3);
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(stream, at + 5);
}

function frame(type: number, flags: number, stream: number, length: number): Buffer {
  const out = Buffer.alloc(9 + length);
  writeHead(out, 0, length, type, flags, stream);
  return out;
}

/** An HPACK string literal, no Huffman; the bench's values are all under 127 bytes. */
function string(value: string): Buffer {
  const bytes = Buffer.from(value, "latin1");
  if (bytes.length > 126) throw new Error(`header value too long for this client: ${value}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A literal field without indexing whose name is static-table entry `index` (< 15). */
function literal(index: number, value: string): Buffer {
  return Buffer.concat([Buffer.from([index]), string(value)]);
}
