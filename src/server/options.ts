import type { Logger } from "pino";
import type { DelayQueueOptions } from "../queue/index.js";

/** TLS material for the listener: h2 and http/1.1 offered by ALPN. */
export interface TlsOptions {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
}

/** Everything `startServer` needs; `src/config` builds it from file, env and flags. */
export interface ServerOptions {
  /** Listen address. Default: `0.0.0.0` (ini `bind_address`). */
  host: string;
  /** Listen port; 0 picks a free one. Default: 9277 (ini `bind_address`). */
  port: number;
  /** The queue engine's options: Redis connection, prefix, shards, limits. */
  queue: DelayQueueOptions;
  /** Legacy `/pop` long-poll wait when the request names none, seconds. Default: 178 (ini `queue_block_timeout`). */
  legacyPopTimeoutSeconds: number;
  /** Largest request body any protocol accepts, bytes. Default: 1 MiB + 64 KiB of envelope. */
  requestLimitBytes: number;
  /** Serve TLS (h2 + http/1.1) instead of cleartext (h2c + http/1.1). */
  tls?: TlsOptions | undefined;
  /** Bearer tokens; when non-empty every call but health must carry one. */
  authTokens?: readonly string[];
  /**
   * Serve the common unary DelayQueueService calls (gRPC, Connect binary) on a fast path
   * beside connect-es; false leaves every call to connect-es. Default: true (ini `rpc_fast_path`).
   */
  rpcFastPath?: boolean;
  /**
   * Serve the common legacy POST-JSON calls on a fast path beside fastify; false leaves every
   * call to the fastify routes. Default: true (ini `legacy_fast_path`).
   */
  legacyFastPath?: boolean;
  /** How long a graceful stop waits for calls in flight, ms. Default: 10000. */
  shutdownTimeoutMs?: number;
  logger: Logger;
}
