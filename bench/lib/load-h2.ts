import http2 from "node:http2";
import { type LoadResult, loadResult } from "./load-h1.js";
import { RawGrpcConnection } from "./raw-grpc.js";
import { Samples } from "./stats.js";

/** One call of a sequence over HTTP/2. */
export interface H2Call {
  path: string;
  /** Builds the request message (unframed); `undefined` restarts the sequence. */
  body: (context: Record<string, unknown>) => Uint8Array | undefined;
  /** Checks the reply message (unframed): false counts a failure. */
  check?: (message: Buffer, context: Record<string, unknown>) => boolean;
}

export interface H2Options {
  /** Origin, e.g. `http://127.0.0.1:9277`. */
  url: string;
  /** `grpc`: length-prefixed messages and trailers; `connect`: Connect unary, binary. */
  protocol: "grpc" | "connect";
  /** HTTP/2 connections; calls are spread over them. */
  sessions: number;
  /** Calls in flight at once (each loop runs its sequence over and over). */
  concurrency: number;
  durationMs: number;
  amount?: number;
  calls: H2Call[];
  until?: () => boolean;
  /**
   * `raw`: gRPC over the minimal client of `raw-grpc.ts` instead of `node:http2`, for loads
   * where the generator's own cost would otherwise be the limit. Default: `node:http2`.
   */
  client?: "node:http2" | "raw";
}

/** One connection as the load loop uses it. */
interface Caller {
  call(path: string, body: Buffer): Promise<Reply>;
  close(): void;
  /** A failed connection: its loops stop. */
  readonly broken: boolean;
}

/**
 * Closed-loop load over raw `node:http2` (no grpc-js, no Connect client: the
 * least client-side work per call), `concurrency` loops spread over
 * `sessions` connections. Each loop keeps its own context across a sequence.
 */
export async function runH2(options: H2Options): Promise<LoadResult> {
  const sessions = await connectCallers(options);
  const latency = new Samples();
  const perCall = options.calls.map(() => new Samples());
  let failures = 0;
  let errors = 0;
  let responses = 0;
  let sample: string | undefined;
  let stop = false;
  const started = performance.now();
  const timer = setTimeout(() => {
    stop = true;
  }, options.durationMs);
  const loop = async (index: number) => {
    const session = sessions[index % sessions.length] as Caller;
    let context: Record<string, unknown> = {};
    let step = 0;
    while (!stop) {
      const call = options.calls[step] as H2Call;
      const message = call.body(context);
      if (message === undefined) {
        step = 0;
        context = {};
        continue;
      }
      const sentAt = performance.now();
      try {
        const reply = await session.call(call.path, frame(message, options.protocol));
        responses++;
        const ok = reply.ok && (!call.check || call.check(reply.message, context));
        if (ok) {
          const ms = performance.now() - sentAt;
          latency.add(ms);
          perCall[step]?.add(ms);
        } else {
          failures++;
          sample ??= reply.error ?? reply.message.toString("latin1").slice(0, 300);
        }
      } catch (error) {
        errors++;
        sample ??= String(error);
        if (session.broken) break;
      }
      if (options.amount !== undefined && responses >= options.amount) stop = true;
      if (options.until?.()) stop = true;
      step = (step + 1) % options.calls.length;
      if (step === 0) context = {};
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i)));
  clearTimeout(timer);
  const endedAt = performance.now();
  for (const session of sessions) session.close();
  return loadResult({ responses, failures, errors, sample }, latency, started, endedAt, perCall);
}

async function connectCallers(options: H2Options): Promise<Caller[]> {
  if (options.client === "raw") {
    if (options.protocol !== "grpc") throw new Error("the raw client speaks gRPC only");
    const connections = Array.from(
      { length: options.sessions },
      () => new RawGrpcConnection(options.url),
    );
    await Promise.all(connections.map((c) => c.ready));
    return connections.map((c) => ({
      call: (path, body) => c.call(path, body),
      close: () => c.close(),
      get broken() {
        return c.broken;
      },
    }));
  }
  const sessions = Array.from({ length: options.sessions }, () => connect(options.url));
  await Promise.all(sessions.map((s) => new Promise((resolve) => s.once("connect", resolve))));
  return sessions.map((session) => ({
    call: (path, body) => send(session, h2Headers(path, options.protocol), body),
    close: () => session.close(),
    get broken() {
      return session.destroyed;
    },
  }));
}

export function h2Headers(path: string, protocol: "grpc" | "connect"): http2.OutgoingHttpHeaders {
  return protocol === "grpc"
    ? { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" }
    : { ":method": "POST", ":path": path, "content-type": "application/proto" };
}

export function connect(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url, { settings: { enablePush: false } });
  session.on("error", () => {});
  return session;
}

export function frame(message: Uint8Array, protocol: "grpc" | "connect"): Buffer {
  if (protocol === "connect")
    return Buffer.from(message.buffer, message.byteOffset, message.length);
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

export interface Reply {
  ok: boolean;
  message: Buffer;
  error?: string;
}

export function send(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: false });
    const chunks: Buffer[] = [];
    let status = 0;
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    const grpc = headers["content-type"] === "application/grpc";
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => {
      grpcStatus = String(t["grpc-status"]);
      if (t["grpc-message"] !== undefined) grpcMessage = String(t["grpc-message"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      if (!grpc) {
        resolve({
          ok: status === 200,
          message: raw,
          ...(status !== 200 ? { error: raw.toString() } : {}),
        });
        return;
      }
      const ok = status === 200 && grpcStatus === "0";
      resolve({
        ok,
        message: raw.length >= 5 ? raw.subarray(5) : Buffer.alloc(0),
        ...(ok ? {} : { error: `grpc-status ${grpcStatus}: ${grpcMessage ?? ""}` }),
      });
    });
    stream.end(body);
  });
}
