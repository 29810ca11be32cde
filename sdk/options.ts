import type { Transport } from "@connectrpc/connect";
import type { HeadersInit } from "./types.js";

/** Options every client takes, in Node and in a browser. */
export interface BaseClientOptions {
  /**
   * The server's base URL, e.g. `http://127.0.0.1:9277`. Calls go to
   * `<baseUrl>/delayqueue.v1.DelayQueueService/<Method>`. Ignored when
   * `transport` is given.
   */
  baseUrl: string;
  /**
   * Use the binary protobuf format; `false` sends JSON (Connect and gRPC-web
   * only; gRPC is always binary). Ignored when `transport` is given.
   * @defaultValue `true`
   */
  binary?: boolean;
  /**
   * Headers sent on every call, e.g. `{ authorization: "Bearer …" }`; a
   * function is called for each call, so it can hand out a fresh token.
   * Headers given to a single call win over these.
   * @defaultValue none
   */
  headers?: HeadersInit | (() => HeadersInit);
  /**
   * Shorthand for the header `authorization: Bearer <token>` on every call.
   * An `authorization` in `headers` wins over it.
   * @defaultValue none
   */
  token?: string;
  /**
   * Deadline of every call in ms, unless the call gives its own `timeoutMs`.
   * A `pop` gets this plus its long-poll `timeout`, so that a default
   * deadline never cuts a long poll short. Past it a call rejects with
   * `ConnectError` code `deadline_exceeded`.
   * @defaultValue none: calls wait as long as the server takes
   */
  timeoutMs?: number;
  /**
   * Bring your own Connect transport (with your own interceptors, fetch,
   * TLS or HTTP/2 settings). `baseUrl`, `protocol`, `binary` and
   * `httpVersion` are then ignored; `headers`, `token` and `timeoutMs` still apply.
   * @defaultValue a transport built from the other options
   */
  transport?: Transport;
}

/** Options of {@link createClient} (Node). */
export interface ClientOptions extends BaseClientOptions {
  /**
   * The protocol: Connect, gRPC (needs HTTP/2) or gRPC-web.
   * @defaultValue `"connect"`
   */
  protocol?: "connect" | "grpc" | "grpc-web";
  /**
   * HTTP version of the Node transport. gRPC always uses `"2"`; asking for
   * `"1.1"` with gRPC throws.
   * @defaultValue `"2"` for gRPC, `"1.1"` otherwise
   */
  httpVersion?: "1.1" | "2";
}

/** Options of {@link createWebClient} (browsers, or any runtime with `fetch`). */
export interface WebClientOptions extends BaseClientOptions {
  /**
   * The protocol; browsers cannot speak plain gRPC.
   * @defaultValue `"connect"`
   */
  protocol?: "connect" | "grpc-web";
  /**
   * The `fetch` to call.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: typeof globalThis.fetch;
}
