import type { Redis, RedisOptions } from "ioredis";

/** Options for `startRedis()`. */
export interface RedisServerOptions {
  /**
   * Write an append-only file, so data survives `kill()` followed by `restart()`.
   * @defaultValue false
   */
  appendonly?: boolean;
  /**
   * AOF fsync policy. Passed only with `appendonly` or when set explicitly.
   * @defaultValue "always", so every acknowledged write is on disk before a SIGKILL
   */
  appendfsync?: "always" | "everysec" | "no";
  /**
   * Data directory (AOF lives here). A directory you pass is never removed.
   * @defaultValue a fresh `mkdtemp` under `os.tmpdir()`, removed by `close()`
   */
  dir?: string;
  /** Extra `redis-server` arguments, appended after the harness's own. */
  extraArgs?: string[];
}

/** A private `redis-server` process on a loopback port, owned by one test file. */
export interface RedisServer {
  /** Always `"127.0.0.1"` for private servers. */
  readonly host: string;
  /** The port; `restart()` keeps it. */
  readonly port: number;
  /** `redis://host:port`. */
  readonly url: string;
  /** Data directory; `restart()` keeps it. */
  readonly dir: string;
  /** Pid of the current process, `undefined` while not running. */
  readonly pid: number | undefined;
  /** Whether the process is alive (a signal may be on its way). */
  readonly running: boolean;
  /** SIGTERM and wait for exit; with `appendonly` the AOF is flushed. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash. No-op when not running. */
  kill(): Promise<void>;
  /** Start again on the same port, dir and options (stopping first if running); resolves on PING. */
  restart(): Promise<void>;
  /** Disconnect clients, stop, and remove the dir if the harness made it. Safe to call twice. */
  close(): Promise<void>;
  /** A new ioredis client for this server; `close()` disconnects it. */
  client(options?: RedisOptions): Redis;
}
