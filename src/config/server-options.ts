import { readFileSync } from "node:fs";
import type { RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { ServerOptions, TlsOptions } from "../server/options.js";
import type { Config } from "./config.js";
import { ConfigError } from "./config-error.js";
import type { SettingKey } from "./keys.js";
import { describeSetting } from "./source.js";

/** Room for the envelope (JSON, protobuf, gRPC framing) around a body of `body_limit` bytes. */
const ENVELOPE_BYTES = 64 * 1024;

/** A Redis the CLI started itself; replaces the configured address. */
export interface RedisAddressOverride {
  readonly host: string;
  readonly port: number;
}

/** True when this config runs on an embedded redis-server: `yes`, or `auto` with none configured. */
export function usesEmbeddedRedis(config: Config): boolean {
  return (
    config.embeddedRedis === "yes" || (config.embeddedRedis === "auto" && !config.redisConfigured)
  );
}

/**
 * Turns a {@link Config} into what `startServer` takes. With `embedded`, Redis is that
 * address (no password, no TLS) and the configured `redis.db` and timeouts.
 *
 * Timeouts: `redis.connect_timeout` → ioredis `connectTimeout`. `redis.read_timeout` →
 * `commandTimeout`: the Go service needed it above `queue_block_timeout` because its pop
 * blocked a pooled connection in BLPOP; here a long-poll waits in the process and no command
 * blocks, so it is simply a cap on any one command (0: none). `redis.write_timeout` has no
 * ioredis counterpart; commands are covered by the cap.
 * @throws ConfigError when a TLS file cannot be read
 */
export function toServerOptions(
  config: Config,
  logger: Logger,
  embedded?: RedisAddressOverride,
): ServerOptions {
  return {
    host: config.host,
    port: config.port,
    queue: {
      connection: redisOptions(config, embedded),
      prefix: config.prefix,
      shards: config.shards,
      limits: {
        maxBodyBytes: config.bodyLimitBytes,
        maxPopTimeoutMs: config.maxPopTimeoutSeconds * 1000,
        maxWaitingPops: config.maxWaitingPops,
      },
      logger: logger.child({ component: "queue" }),
    },
    legacyPopTimeoutSeconds: config.queueBlockTimeoutSeconds,
    requestLimitBytes: config.bodyLimitBytes + ENVELOPE_BYTES,
    tls: tlsOptions(config),
    authTokens: config.authTokens,
    rpcFastPath: config.rpcFastPath,
    legacyFastPath: config.legacyFastPath,
    logger,
  };
}

function redisOptions(config: Config, embedded: RedisAddressOverride | undefined): RedisOptions {
  const { redis } = config;
  const options: RedisOptions = {
    host: embedded?.host ?? redis.host,
    port: embedded?.port ?? redis.port,
    db: redis.db,
    connectTimeout: redis.connectTimeoutMs,
  };
  if (redis.readTimeoutMs > 0) options.commandTimeout = redis.readTimeoutMs;
  if (embedded) return options;
  if (redis.password !== "") options.password = redis.password;
  if (redis.username !== "") options.username = redis.username;
  if (redis.tls) options.tls = { servername: redis.host };
  return options;
}

function tlsOptions(config: Config): TlsOptions | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  return {
    cert: readPem(config, "tls_cert", config.tlsCert),
    key: readPem(config, "tls_key", config.tlsKey),
  };
}

function readPem(config: Config, key: SettingKey, path: string): Buffer {
  const source = config.sources[key];
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      `${describeSetting(key, source, JSON.stringify(path))}: cannot read: ${reason}`,
      key,
      source,
    );
  }
}
