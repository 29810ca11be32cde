import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import net, { type Socket } from "node:net";
import tls from "node:tls";
import type { TlsOptions } from "./options.js";

/** The client connection preface every HTTP/2 connection starts with (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A request handler as fastify hands it to a server factory. */
export type RequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/**
 * Takes the requests it serves itself, before fastify sees them, and declines
 * the rest, which go on to fastify and connect-es untouched.
 */
export interface FastPath {
  /** Serves an HTTP/2 stream and returns true, or returns false and leaves it alone. */
  stream?(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** Serves an HTTP/1.1 request and returns true, or returns false and leaves it alone. */
  request(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Declines every request from now on, so that calls arriving during a stop get fastify's
   * answer for a closing server; calls already taken run to their end.
   */
  stop(): void;
}

/** Options of {@link createListener}; durations in ms. */
export interface ListenerOptions {
  /** Serve TLS with h2 and http/1.1 by ALPN. Default: cleartext h2c + HTTP/1.1. */
  tls?: TlsOptions | undefined;
  /** Longest wait for a request's headers. Default: 60000. */
  headersTimeoutMs?: number;
  /** How long an idle HTTP/1.1 keep-alive connection stays open. Default: 72000. */
  keepAliveTimeoutMs?: number;
  /** How long an idle HTTP/2 session stays open before a graceful GOAWAY. Default: 72000. */
  sessionIdleTimeoutMs?: number;
  /** Serve the requests they take before fastify sees them (not while stopping), first taker wins. */
  fastPaths?: readonly FastPath[];
}

/**
 * The one listening socket, with the hooks fastify's `close()` looks for:
 * it calls `closeIdleConnections()` and `closeHttp2Sessions()` after the
 * `preClose` hooks, then `close()`, which waits until every connection ends.
 */
export interface Listener extends net.Server {
  /** Closes HTTP/1.1 connections that have no request in flight, now and as each one goes idle. */
  closeIdleConnections(): void;
  /** Sends GOAWAY on every HTTP/2 session; each closes once its open streams end. */
  closeHttp2Sessions(): void;
  /** Destroys every connection, in flight or not: the last resort of a stop that takes too long. */
  closeAllConnections(): void;
}

/**
 * One port for every protocol. Cleartext: the first bytes of each connection
 * decide: the HTTP/2 preface goes to an HTTP/2 server (h2c with prior
 * knowledge, as gRPC clients speak it), anything else to an HTTP/1.1 server.
 * TLS: ALPN decides, `h2` or `http/1.1`. Both inner servers share `handler`.
 */
export function createListener(handler: RequestHandler, options: ListenerOptions = {}): Listener {
  const h1 = http.createServer();
  const h2 = http2.createServer();
  const sockets = new Set<Socket>();
  // Connected, but no byte yet to tell the protocol by: idle by any measure.
  const undecided = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let closing = false;

  // Node's own server factories would set these; with a custom factory nobody does.
  // requestTimeout 0 and no socket timeout: a legacy long-poll holds a request for up to 180 s.
  h1.requestTimeout = 0;
  h1.headersTimeout = options.headersTimeoutMs ?? 60_000;
  h1.keepAliveTimeout = options.keepAliveTimeoutMs ?? 72_000;
  h1.setTimeout(0);
  h2.setTimeout(0);

  const fast = options.fastPaths ?? [];
  h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
    // A keep-alive connection whose last request ends during a stop must not hold close() open.
    res.once("finish", () => {
      if (closing) setImmediate(() => h1.closeIdleConnections());
    });
    if (!closing) for (const path of fast) if (path.request(req, res)) return;
    closeIfBodyUnread(req, res);
    handler(req, res);
  });
  h2.on("request", handler);
  const streams = fast.filter((path) => path.stream !== undefined);
  if (streams.length > 0) {
    // The compat API builds its request and response in a `stream` listener of its own, which
    // cannot be told to skip a stream: the fast path sees each stream first, in `emit`.
    const emit = h2.emit;
    h2.emit = function (this: http2.Http2Server, event: string | symbol, ...args: unknown[]) {
      if (event === "stream" && !closing) {
        const [stream, headers] = args as [http2.ServerHttp2Stream, http2.IncomingHttpHeaders];
        for (const path of streams) if (path.stream?.(stream, headers)) return true;
      }
      return Reflect.apply(emit, this, [event, ...args]);
    } as typeof h2.emit;
  }
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // Graceful: GOAWAY lets open streams (a parked pop, say) run to their end.
    session.setTimeout(options.sessionIdleTimeoutMs ?? 72_000, () => session.close());
  });
  // A peer that breaks the protocol loses its session; the process keeps running.
  h2.on("sessionError", () => {});

  const toH2 = (socket: Socket) => {
    // HTTP/2 ends a connection with GOAWAY, never by half-closing the TCP stream.
    socket.allowHalfOpen = false;
    h2.emit("connection", socket);
  };
  const toH1 = (socket: Socket) => {
    h1.emit("connection", socket);
    // The sniffer paused the socket; the HTTP/1 parser reads the bytes it put back only once
    // the stream flows again.
    socket.resume();
  };

  // Every TCP connection, TLS or not, so a forced stop can cut even a half-done handshake.
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      undecided.delete(socket);
    });
    if (closing) socket.destroy();
  };

  const dispatch = (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    if (options.tls) {
      const protocol = (socket as tls.TLSSocket).alpnProtocol;
      if (protocol === "h2") toH2(socket);
      else toH1(socket);
      return;
    }
    undecided.add(socket);
    sniff(socket, h1.headersTimeout, (isH2) => {
      undecided.delete(socket);
      if (isH2) toH2(socket);
      else toH1(socket);
    });
  };

  const outer: net.Server = options.tls
    ? tls.createServer({
        cert: options.tls.cert,
        key: options.tls.key,
        ALPNProtocols: ["h2", "http/1.1"],
        allowHalfOpen: false,
      })
    : net.createServer({ allowHalfOpen: false });
  outer.on("connection", track);
  outer.on(options.tls ? "secureConnection" : "connection", dispatch);
  // A failed TLS handshake is the client's problem; it must not take the server down.
  if (options.tls) outer.on("tlsClientError", () => {});
  // Node starts tracking connections (headersTimeout, closeIdleConnections) on "listening",
  // and the inner HTTP/1 server never listens itself.
  outer.on("listening", () => h1.emit("listening"));
  outer.on("close", () => {
    h1.close(() => {});
    h2.close(() => {});
  });

  return Object.assign(outer, {
    closeIdleConnections(): void {
      closing = true;
      h1.closeIdleConnections();
      // Clients open connections ahead of need (undici does); those have sent nothing yet.
      for (const socket of undecided) socket.destroy();
    },
    closeHttp2Sessions(): void {
      closing = true;
      for (const session of sessions) session.close();
    },
    closeAllConnections(): void {
      closing = true;
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
  });
}

/**
 * A handler that answers before reading the whole request body (Connect
 * refusing an oversized message, say) leaves the rest of it on the
 * connection, and Node discards it only when nobody had started reading.
 * On a kept-alive connection the client's next request would be taken for
 * body, and hang. Such a response closes the connection instead.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!req.complete) this.shouldKeepAlive = false;
    return Reflect.apply(writeHead, this, args);
  } as typeof res.writeHead;
}

/**
 * Reads just enough of a new connection to tell HTTP/2's preface from
 * HTTP/1.1, puts the bytes back and hands the paused socket over. A
 * connection that sends nothing within `timeoutMs` is dropped.
 */
function sniff(socket: Socket, timeoutMs: number, decide: (isH2: boolean) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const cleanup = () => {
    socket.off("data", onData);
    socket.off("error", onError);
    socket.off("end", onEnd);
    socket.off("timeout", onEnd);
    socket.setTimeout(0);
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const matches = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (matches && seen.length < PREFACE.length) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    decide(matches);
  };
  const onError = () => {
    cleanup();
    socket.destroy();
  };
  const onEnd = onError;
  socket.on("data", onData);
  socket.on("error", onError);
  socket.on("end", onEnd);
  socket.on("timeout", onEnd);
  socket.setTimeout(timeoutMs);
}
