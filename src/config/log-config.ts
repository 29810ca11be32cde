import type { Logger } from "pino";
import type { Config } from "./config.js";
import { usesEmbeddedRedis } from "./server-options.js";
import { sourceLabel } from "./source.js";

/**
 * The configuration as logs show it: no password, no token, only whether they are set and
 * where each value came from.
 */
export function describeConfig(config: Config): Record<string, unknown> {
  const { redis } = config;
  const embedded = usesEmbeddedRedis(config);
  return {
    configFile: config.configFile ?? null,
    bind: `${config.host}:${config.port}`,
    redis: embedded
      ? { embedded: true, dataDir: config.dataDir, db: redis.db }
      : {
          host: redis.host,
          port: redis.port,
          db: redis.db,
          tls: redis.tls,
          username: redis.username || null,
          passwordSet: redis.password !== "",
          connectTimeoutMs: redis.connectTimeoutMs,
          commandTimeoutMs: redis.readTimeoutMs,
        },
    prefix: config.prefix,
    shards: config.shards,
    queueBlockTimeoutSeconds: config.queueBlockTimeoutSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    maxPopTimeoutSeconds: config.maxPopTimeoutSeconds,
    maxWaitingPops: config.maxWaitingPops,
    authTokenCount: config.authTokens.length,
    tls: config.tlsCert !== undefined,
    embeddedRedis: config.embeddedRedis,
    rpcFastPath: config.rpcFastPath,
    legacyFastPath: config.legacyFastPath,
    heapGrowingPercent: config.heapGrowingPercent,
    sources: Object.fromEntries(
      Object.entries(config.sources)
        .filter(([, source]) => source.kind !== "default")
        .map(([key, source]) => [key, sourceLabel(source)]),
    ),
  };
}

/** Logs the loading notices (unknown keys, ignored keys) and the redacted configuration. */
export function logConfig(config: Config, logger: Logger): void {
  for (const notice of config.notices) logger[notice.level](notice.msg);
  logger.info({ config: describeConfig(config) }, "configuration loaded");
}
