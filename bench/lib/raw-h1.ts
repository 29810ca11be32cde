/**
 * A minimal HTTP/1.1 client on one keep-alive TCP socket, one request at a
 * time, for the lateness scenario's legacy pollers: with `node:http` they
 * used about half a core at 2,000 calls/s, their thread's own delays went
 * into every lateness figure, and the server shared the two cores with them.
 * Per request it writes one prebuilt buffer; per reply it finds the end of
 * the head, reads `content-length` and slices the body. Replies must carry
 * `content-length` (every legacy answer does); anything else fails the call.
 */
import type net from "node:net";
import { openRawSocket } from "./raw-socket.js";

/** A reply: its status and body. */
export interface RawReply {
  status: number;
  body: Buffer;
}

interface Waiting {
  resolve(reply: RawReply): void;
  reject(error: Error): void;
}

const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/** One keep-alive connection; requests queue and go one after another. */
export class RawH1Connection {
  private readonly socket: net.Socket;
  private readonly queue: { request: Buffer; waiting: Waiting }[] = [];
  private current: Waiting | undefined;
  private input: Buffer = Buffer.alloc(0);
  private closed: Error | undefined;
  private readonly host: string;
  /** Resolves once the TCP connection is up. */
  readonly ready: Promise<void>;

  constructor(url: string) {
    const opened = openRawSocket(url, {
      onData: (chunk) => this.read(chunk),
      onError: (error) => this.fail(error),
      onClose: () => this.fail(new Error("connection closed")),
    });
    this.socket = opened.socket;
    this.host = opened.authority;
    this.ready = opened.ready;
  }

  /** Builds the bytes of a `POST` of `body` to `path`: build once, send many times. */
  post(path: string, body: string, contentType = "application/json"): Buffer {
    const payload = Buffer.from(body);
    const head = `POST ${path} HTTP/1.1\r\nhost: ${this.host}\r\ncontent-type: ${contentType}\r\ncontent-length: ${payload.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, "latin1"), payload]);
  }

  /** Sends a request built by {@link post}; resolves with its reply. */
  send(request: Buffer): Promise<RawReply> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const waiting = { resolve, reject };
      if (this.current) {
        this.queue.push({ request, waiting });
        return;
      }
      this.current = waiting;
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    for (;;) {
      const end = this.input.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.input.toString("latin1", 0, end);
      const length = LENGTH.exec(head);
      if (!length) {
        this.fail(new Error(`a reply without content-length: ${head.split("\r\n")[0]}`));
        return;
      }
      const start = end + HEAD_END.length;
      const stop = start + Number(length[1]);
      if (this.input.length < stop) return;
      const status = Number(head.slice(9, 12));
      const body = this.input.subarray(start, stop);
      this.input = this.input.subarray(stop);
      const waiting = this.current;
      const next = this.queue.shift();
      this.current = next?.waiting;
      if (next) this.socket.write(next.request);
      waiting?.resolve({ status, body });
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    this.socket.destroy();
    this.current?.reject(error);
    for (const { waiting } of this.queue) waiting.reject(error);
    this.current = undefined;
    this.queue.length = 0;
  }
}
