import type { SettingKey } from "./keys.js";
import type { Source } from "./source.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
export const logLevels: readonly LogLevel[] = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
];

/** `auto`: embedded Redis when none is configured; `yes`: always; `no`: never. */
export type EmbeddedRedisMode = "auto" | "yes" | "no";
export const embeddedRedisModes: readonly EmbeddedRedisMode[] = ["auto", "yes", "no"];

/** Where Redis is and how to talk to it (the Go service's `redis.*` keys). */
export interface RedisSettings {
  /** Host of `redis.host` (`host:port`, or a `redis://` / `rediss://` URL). */
  readonly host: string;
  /** Port of `redis.host`. */
  readonly port: number;
  /** `redis.db`, or the path of a URL in `redis.host`. */
  readonly db: number;
  /** `redis.password`, or the password of a URL in `redis.host`; empty for none. */
  readonly password: string;
  /** The user of a URL in `redis.host` (Redis 6 ACL); empty for the default user. */
  readonly username: string;
  /** True for a `rediss://` URL in `redis.host`. */
  readonly tls: boolean;
  /** `redis.connect_timeout`, ms; 0 for none. */
  readonly connectTimeoutMs: number;
  /** `redis.read_timeout`, ms; the longest any one command may take, 0 for no limit. */
  readonly readTimeoutMs: number;
  /** `redis.write_timeout`, ms; accepted, see `toServerOptions`. */
  readonly writeTimeoutMs: number;
  /** `redis.max_idle`; accepted, not needed (one multiplexed connection). */
  readonly maxIdle: number;
  /** `redis.max_active`; accepted, not needed (one multiplexed connection). */
  readonly maxActive: number;
}

/** A note found while loading, logged once a logger exists. */
export interface ConfigNotice {
  readonly level: "warn" | "info" | "debug";
  readonly msg: string;
}

/** The effective configuration: defaults ← ini file (`-c`) ← `DQ_*` environment ← flags. */
export interface Config {
  /** Listen host, from `bind_address`. */
  readonly host: string;
  /** Listen port, from `bind_address`; 0 picks a free one. */
  readonly port: number;
  /** `bucket_size`: shards jobs are spread over. */
  readonly shards: number;
  /** `queue_block_timeout`, s: the legacy `/pop` wait. */
  readonly queueBlockTimeoutSeconds: number;
  /** `bucket_name`: accepted for compatibility, unused (key names come from `prefix`). */
  readonly bucketName: string;
  /** `queue_name`: accepted for compatibility, unused (key names come from `prefix`). */
  readonly queueName: string;
  readonly redis: RedisSettings;
  /**
   * True when any source (file, env, flag) set `redis.host`, `redis.db` or `redis.password`:
   * the user means a Redis of their own, so `embedded_redis = auto` does not start one.
   */
  readonly redisConfigured: boolean;
  /** `prefix` of every Redis key. */
  readonly prefix: string;
  /** `auth_tokens`: bearer tokens; empty for no auth. */
  readonly authTokens: readonly string[];
  /** `tls_cert`: PEM certificate file (absolute); set together with `tlsKey`. */
  readonly tlsCert: string | undefined;
  /** `tls_key`: PEM private key file (absolute). */
  readonly tlsKey: string | undefined;
  /** `body_limit`: largest job body, bytes. */
  readonly bodyLimitBytes: number;
  /** `max_pop_timeout`, s: the longest pop wait a client may ask for (0 … 180). */
  readonly maxPopTimeoutSeconds: number;
  /** `max_waiting_pops`: most pops long-polling at once in this process. */
  readonly maxWaitingPops: number;
  readonly logLevel: LogLevel;
  readonly embeddedRedis: EmbeddedRedisMode;
  /** `data_dir` (absolute): the embedded Redis keeps its AOF under `<dataDir>/redis`. */
  readonly dataDir: string;
  /** `rpc_fast_path`: serve the common unary RPCs on the fast path beside connect-es. */
  readonly rpcFastPath: boolean;
  /** `legacy_fast_path`: serve the common legacy POST-JSON calls beside fastify. */
  readonly legacyFastPath: boolean;
  /** `heap_growing_percent`: old-generation growth between full GCs; 0 leaves V8's own. */
  readonly heapGrowingPercent: number;
  /** The ini file read, if any. */
  readonly configFile: string | undefined;
  /** Where each setting's value came from. */
  readonly sources: Readonly<Record<SettingKey, Source>>;
  /** Unknown and ignored keys, and similar notes; `logConfig` logs them. */
  readonly notices: readonly ConfigNotice[];
}
