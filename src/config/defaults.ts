import type { SettingKey } from "./keys.js";

/**
 * Every setting's default, as the ini file would spell it. The Go service's keys keep its
 * defaults (`DefaultBindAddress` … `DefaultRedisWriteTimeout` in its `config/config.go`);
 * the others are ours.
 */
export const defaults: Readonly<Record<SettingKey, string>> = Object.freeze({
  /** Listen address of every protocol. Go service default. Env `DQ_BIND_ADDRESS`, flag `--bind`. */
  bind_address: "0.0.0.0:9277",
  /** Number of shards (the Go service's buckets). Go default. `DQ_BUCKET_SIZE`, `--shards`. */
  bucket_size: "3",
  /** Go default; accepted and ignored: our key names come from `prefix`. */
  bucket_name: "dq_bucket_%d",
  /** Go default; accepted and ignored: our key names come from `prefix`. */
  queue_name: "dq_queue_%s",
  /** Legacy `/pop` wait, s (0 … 180). Go default. `DQ_QUEUE_BLOCK_TIMEOUT`, `--block-timeout`. */
  queue_block_timeout: "178",
  /** Redis `host:port` (or a `redis://` URL). Go default. `DQ_REDIS_HOST`, `--redis`. */
  "redis.host": "127.0.0.1:6379",
  /** Redis database number. Go default. `DQ_REDIS_DB`, `--redis-db`. */
  "redis.db": "1",
  /** Redis password, empty for none. Go default. `DQ_REDIS_PASSWORD` (no flag). */
  "redis.password": "",
  /** Go pool size; accepted, not needed: one multiplexed connection + one subscriber. */
  "redis.max_idle": "10",
  /** Go pool size (0 = unlimited); accepted, not needed, as above. */
  "redis.max_active": "0",
  /** ms → ioredis `connectTimeout`. Go default. `DQ_REDIS_CONNECT_TIMEOUT`. */
  "redis.connect_timeout": "5000",
  /** ms → ioredis `commandTimeout` (a cap per command; pops do not block Redis here). Go default. */
  "redis.read_timeout": "180000",
  /** ms; ioredis has no write timeout: commands are bounded by `redis.read_timeout`. Go default. */
  "redis.write_timeout": "3000",
  /** Prefix of every Redis key. Ours. `DQ_PREFIX`, `--prefix`. */
  prefix: "dq",
  /** Comma-separated bearer tokens; empty: no auth. Ours. `DQ_AUTH_TOKENS` (no flag). */
  auth_tokens: "",
  /** PEM certificate file; with `tls_key`, serve TLS. Ours. `DQ_TLS_CERT`, `--tls-cert`. */
  tls_cert: "",
  /** PEM private key file. Ours. `DQ_TLS_KEY`, `--tls-key`. */
  tls_key: "",
  /** Largest job body, bytes (1 MiB). Ours. `DQ_BODY_LIMIT`, `--body-limit`. */
  body_limit: "1048576",
  /**
   * Longest pop wait a client may ask for, s (0 … 180); lowers `queue_block_timeout`'s
   * default. Ours. `DQ_MAX_POP_TIMEOUT`, `--max-pop-timeout`.
   */
  max_pop_timeout: "180",
  /**
   * Most pops long-polling at once per process; beyond it `resource_exhausted`. Ours.
   * `DQ_MAX_WAITING_POPS`, `--max-waiting-pops`.
   */
  max_waiting_pops: "10000",
  /** pino level. Ours. `DQ_LOG_LEVEL`, `--log-level`. */
  log_level: "info",
  /** auto | yes | no. Ours. `DQ_EMBEDDED_REDIS`, `--embedded-redis`. */
  embedded_redis: "auto",
  /** Embedded Redis data (AOF) lives in `<data_dir>/redis`. Ours. `DQ_DATA_DIR`, `--data-dir`. */
  data_dir: "./.data",
  /**
   * Serve the common unary RPCs (gRPC, Connect binary) beside connect-es, not through it:
   * yes | no. Ours. `DQ_RPC_FAST_PATH`, `--rpc-fast-path`.
   */
  rpc_fast_path: "yes",
  /**
   * Serve the common legacy POST-JSON calls beside fastify, not through it: yes | no. Ours.
   * `DQ_LEGACY_FAST_PATH`, `--legacy-fast-path`.
   */
  legacy_fast_path: "yes",
  /**
   * Old-generation growth between full GCs, percent; 0 leaves V8's own heuristic. Ours.
   * `DQ_HEAP_GROWING_PERCENT`, `--heap-growing-percent`.
   */
  heap_growing_percent: "0",
});
