/**
 * The settings `delay-queue` reads, by their ini key (the Go service's spelling).
 * The environment variable of a key is `DQ_` + the key in capitals with `.` as `_`
 * (`redis.host` → `DQ_REDIS_HOST`); flags are listed in {@link flagKeys}.
 */
export const settingKeys = [
  // The Go service's keys (its config/config.go).
  "bind_address",
  "bucket_size",
  "bucket_name",
  "queue_name",
  "queue_block_timeout",
  "redis.host",
  "redis.db",
  "redis.password",
  "redis.max_idle",
  "redis.max_active",
  "redis.connect_timeout",
  "redis.read_timeout",
  "redis.write_timeout",
  // Ours.
  "prefix",
  "auth_tokens",
  "tls_cert",
  "tls_key",
  "body_limit",
  "max_pop_timeout",
  "max_waiting_pops",
  "log_level",
  "embedded_redis",
  "data_dir",
  "rpc_fast_path",
  "legacy_fast_path",
  "heap_growing_percent",
] as const;

export type SettingKey = (typeof settingKeys)[number];

const known: ReadonlySet<string> = new Set(settingKeys);

export function isSettingKey(key: string): key is SettingKey {
  return known.has(key);
}

/** Keys whose values are never printed: not in logs, not in error messages. */
export const secretKeys: ReadonlySet<SettingKey> = new Set(["redis.password", "auth_tokens"]);

/**
 * Keys that name a Redis of your own: when any of them is set (file, env or flag), the
 * embedded Redis is not started in `auto` mode, so a configured Redis is never replaced.
 */
export const redisAddressKeys: readonly SettingKey[] = ["redis.host", "redis.db", "redis.password"];

/** `redis.host` → `DQ_REDIS_HOST`. */
export function envName(key: SettingKey): string {
  return `DQ_${key.toUpperCase().replaceAll(".", "_")}`;
}

/** Environment variable naming the config file when `-c` is not given. */
export const configFileEnv = "DQ_CONFIG";

/**
 * Environment variables of the client commands (`delay-queue push`, `pop`, …): the server's
 * URL and the bearer token to send. `serve` ignores them without a warning, so one shell
 * can export both kinds.
 */
export const clientEnv = { server: "DQ_SERVER", token: "DQ_TOKEN" } as const;

/**
 * Long flags of the `serve` command and the key each sets. Secrets (`redis.password`,
 * `auth_tokens`) have no flag: command lines show up in `ps`; use the file or `DQ_*`.
 */
export const flagKeys = {
  bind: "bind_address",
  redis: "redis.host",
  "redis-db": "redis.db",
  shards: "bucket_size",
  "block-timeout": "queue_block_timeout",
  prefix: "prefix",
  "tls-cert": "tls_cert",
  "tls-key": "tls_key",
  "body-limit": "body_limit",
  "max-pop-timeout": "max_pop_timeout",
  "max-waiting-pops": "max_waiting_pops",
  "log-level": "log_level",
  "embedded-redis": "embedded_redis",
  "data-dir": "data_dir",
  "rpc-fast-path": "rpc_fast_path",
  "legacy-fast-path": "legacy_fast_path",
  "heap-growing-percent": "heap_growing_percent",
} as const satisfies Record<string, SettingKey>;

export type FlagName = keyof typeof flagKeys;
