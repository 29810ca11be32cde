import type { Logger } from "pino";

/** Options of {@link startEmbeddedRedis}. */
export interface EmbeddedRedisOptions {
  /** The service's data dir; Redis keeps its AOF in `<dataDir>/redis`. */
  dataDir: string;
  logger: Logger;
  /** The binary. Default: `redis-server` from `PATH`. */
  command?: string;
  /** Longest wait for the first answer, AOF replay included, ms. Default: 60000. */
  readyTimeoutMs?: number;
}

/** A running embedded `redis-server`. */
export interface EmbeddedRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** `<dataDir>/redis`. */
  readonly dir: string;
  /** Resolves when the process exits, for whatever reason, with its exit code or signal. */
  readonly exited: Promise<RedisExit>;
  /** SHUTDOWN (the AOF is fsynced), wait for the exit, release the data dir. Safe twice. */
  stop(): Promise<void>;
  /** For `process.on("exit")`: SIGTERM, which redis-server also handles as a clean shutdown. */
  signalStop(): void;
}

/** How the embedded redis-server ended. */
export interface RedisExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}
