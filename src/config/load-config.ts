import { resolve } from "node:path";
import { isValidPrefix } from "../queue/keys.js";
import {
  type Config,
  type ConfigNotice,
  type EmbeddedRedisMode,
  embeddedRedisModes,
  type LogLevel,
  logLevels,
} from "./config.js";
import { ConfigError } from "./config-error.js";
import { defaults } from "./defaults.js";
import { readEnv } from "./env.js";
import { parseFlags } from "./flags.js";
import { readIniFile } from "./ini-file.js";
import { redisAddressKeys, type SettingKey, secretKeys, settingKeys } from "./keys.js";
import {
  defaultSource,
  describeSetting,
  type Layer,
  type RawValue,
  type Source,
} from "./source.js";
import {
  isRedisUrl,
  parseHostPort,
  parseInteger,
  parseRedisAddress,
  parseTokens,
  redactUrl,
} from "./values.js";

/** Inputs of {@link loadConfig}. */
export interface LoadConfigInput {
  /** The `serve` command's arguments (`-c FILE`, `--bind …`). Default: none. */
  argv?: readonly string[];
  /** Environment to read `DQ_*` from. Default: none (the CLI passes `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths (config file, `data_dir`, `tls_*`). Default: `process.cwd()`. */
  cwd?: string;
}

const MAX_INT32 = 2 ** 31 - 1;
/** `body_limit` ceiling: a queue is no place for larger bodies. */
const MAX_BODY_LIMIT = 64 * 1024 * 1024;
/** `max_waiting_pops` ceiling: past a million parked requests, memory and sockets run out first. */
const MAX_WAITING_POPS = 1_000_000;
/** `heap_growing_percent` ceiling: V8's own factor never lets the heap more than quadruple. */
const MAX_HEAP_GROWING_PERCENT = 300;

/**
 * Builds the effective configuration: defaults ← ini file (`-c FILE`, else `DQ_CONFIG`) ←
 * `DQ_*` environment ← flags, then validates every setting.
 * @throws ConfigError naming the key and where its value came from
 */
export function loadConfig(input: LoadConfigInput = {}): Config {
  const cwd = input.cwd ?? process.cwd();
  const flags = parseFlags(input.argv ?? []);
  const env = readEnv(input.env ?? {});
  const configFile = flags.configFile ?? env.configFile;
  const file =
    configFile === undefined ? undefined : readIniFile(resolve(cwd, configFile), configFile);

  const merged = Object.fromEntries(
    settingKeys.map((key) => [key, { value: defaults[key], source: defaultSource }]),
  ) as Record<SettingKey, RawValue>;
  for (const layer of [file?.layer ?? {}, env.layer, flags.layer]) {
    Object.assign(merged, expandRedisUrl(layer));
  }
  const notices: ConfigNotice[] = [...(file?.notices ?? []), ...env.notices];
  const read = new Reader(merged);

  const bind = read.parse(
    "bind_address",
    (text) => parseHostPort(text, true),
    "expected host:port",
  );
  const redisAddress = read.parse(
    "redis.host",
    parseRedisAddress,
    "expected host:port or redis://[user:password@]host:port[/db]",
  );
  const tlsCert = read.path("tls_cert", cwd);
  const tlsKey = read.path("tls_key", cwd);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    const [set, unset] = tlsCert === undefined ? ["tls_key", "tls_cert"] : ["tls_cert", "tls_key"];
    const setKey = set as SettingKey;
    throw new ConfigError(
      `${describeSetting(setKey, merged[setKey].source)} is set but ${unset} is not: set both to serve TLS`,
      setKey,
      merged[setKey].source,
    );
  }
  const tokens = read.parse(
    "auth_tokens",
    (text) => {
      const result = parseTokens(text);
      return "tokens" in result ? result.tokens : undefined;
    },
    "expected comma-separated tokens of printable ASCII, without spaces",
  );

  const sources = Object.fromEntries(settingKeys.map((key) => [key, merged[key].source])) as Record<
    SettingKey,
    Source
  >;
  const redisConfigured = redisAddressKeys.some((key) => sources[key].kind !== "default");
  const embeddedRedis = read.parse("embedded_redis", parseMode, "expected auto, yes or no");
  if (embeddedRedis === "yes" && redisConfigured) {
    const key = redisAddressKeys.find((k) => sources[k].kind !== "default") as SettingKey;
    throw new ConfigError(
      `${describeSetting("embedded_redis", sources.embedded_redis, '"yes"')} contradicts ${describeSetting(key, sources[key])}: use embedded_redis = auto or no with a Redis of your own`,
      "embedded_redis",
      sources.embedded_redis,
    );
  }

  const maxPopTimeoutSeconds = read.integer("max_pop_timeout", 0, 180);
  const config: Config = {
    host: bind.host === "" ? "0.0.0.0" : bind.host,
    port: bind.port,
    shards: read.integer("bucket_size", 1, 1024),
    queueBlockTimeoutSeconds: blockTimeout(read, merged, maxPopTimeoutSeconds),
    bucketName: merged.bucket_name.value,
    queueName: merged.queue_name.value,
    redis: {
      host: redisAddress.host,
      port: redisAddress.port,
      db: read.integer("redis.db", 0, MAX_INT32),
      password: merged["redis.password"].value,
      username: redisAddress.username,
      tls: redisAddress.tls,
      connectTimeoutMs: read.integer("redis.connect_timeout", 0, MAX_INT32),
      readTimeoutMs: read.integer("redis.read_timeout", 0, MAX_INT32),
      writeTimeoutMs: read.integer("redis.write_timeout", 0, MAX_INT32),
      maxIdle: read.integer("redis.max_idle", 0, MAX_INT32),
      maxActive: read.integer("redis.max_active", 0, MAX_INT32),
    },
    redisConfigured,
    prefix: read.parse(
      "prefix",
      (text) => (isValidPrefix(text) ? text : undefined),
      "expected 1-64 of A-Z a-z 0-9 . _ -",
    ),
    authTokens: tokens,
    tlsCert,
    tlsKey,
    bodyLimitBytes: read.integer("body_limit", 1, MAX_BODY_LIMIT),
    maxPopTimeoutSeconds,
    maxWaitingPops: read.integer("max_waiting_pops", 1, MAX_WAITING_POPS),
    logLevel: read.parse("log_level", parseLevel, `expected one of ${logLevels.join(", ")}`),
    embeddedRedis,
    dataDir: resolve(
      cwd,
      read.parse("data_dir", (t) => t || undefined, "expected a directory"),
    ),
    rpcFastPath: read.parse("rpc_fast_path", parseSwitch, "expected yes or no"),
    legacyFastPath: read.parse("legacy_fast_path", parseSwitch, "expected yes or no"),
    heapGrowingPercent: read.integer("heap_growing_percent", 0, MAX_HEAP_GROWING_PERCENT),
    configFile,
    sources,
    notices: [...notices, ...compatibilityNotices(sources)],
  };
  return config;
}

/**
 * `queue_block_timeout` within `max_pop_timeout`, or legacy pops naming no timeout would be
 * refused: the Go default (178) is lowered to it quietly, a value someone set is an error.
 */
function blockTimeout(read: Reader, merged: Record<SettingKey, RawValue>, max: number): number {
  const seconds = read.integer("queue_block_timeout", 0, 180);
  const { source } = merged.queue_block_timeout;
  if (seconds <= max) return seconds;
  if (source.kind === "default") return max;
  const limit = describeSetting("max_pop_timeout", merged.max_pop_timeout.source, String(max));
  throw new ConfigError(
    `${describeSetting("queue_block_timeout", source, String(seconds))} is above ${limit}: legacy pops would be refused`,
    "queue_block_timeout",
    source,
  );
}

/** Validates merged raw values; every failure is a ConfigError naming key and source. */
class Reader {
  constructor(private readonly merged: Readonly<Record<SettingKey, RawValue>>) {}

  parse<T>(key: SettingKey, parse: (text: string) => T | undefined, expected: string): T {
    const { value, source } = this.merged[key];
    const parsed = parse(value);
    if (parsed !== undefined) return parsed;
    throw new ConfigError(
      `${describeSetting(key, source, shown(key, value))}: ${expected}`,
      key,
      source,
    );
  }

  integer(key: SettingKey, min: number, max: number): number {
    return this.parse(
      key,
      (text) => parseInteger(text, min, max),
      `expected a whole number from ${min} to ${max}`,
    );
  }

  /** An optional file path, resolved against `cwd`; empty means unset. */
  path(key: SettingKey, cwd: string): string | undefined {
    const { value } = this.merged[key];
    return value === "" ? undefined : resolve(cwd, value);
  }
}

/** How a message shows a value: quoted, secrets never, URL passwords masked. */
function shown(key: SettingKey, value: string): string {
  if (secretKeys.has(key)) return "";
  return JSON.stringify(isRedisUrl(value) ? redactUrl(value) : value);
}

/**
 * A `redis://user:pass@host/db` URL in a layer's `redis.host` also sets that layer's
 * `redis.password` and `redis.db` (unless the layer sets them itself), so a URL given as a
 * flag overrides a password from the file as one would expect.
 */
function expandRedisUrl(layer: Layer): Layer {
  const host = layer["redis.host"];
  if (host === undefined || !isRedisUrl(host.value)) return layer;
  const address = parseRedisAddress(host.value);
  const expanded: Layer = { ...layer };
  if (address?.password !== undefined && expanded["redis.password"] === undefined) {
    expanded["redis.password"] = { value: address.password, source: host.source };
  }
  if (address?.db !== undefined && expanded["redis.db"] === undefined) {
    expanded["redis.db"] = { value: String(address.db), source: host.source };
  }
  return expanded;
}

function parseMode(text: string): EmbeddedRedisMode | undefined {
  const value = text.toLowerCase();
  const alias: Record<string, EmbeddedRedisMode> = {
    true: "yes",
    on: "yes",
    false: "no",
    off: "no",
  };
  return alias[value] ?? embeddedRedisModes.find((mode) => mode === value);
}

function parseSwitch(text: string): boolean | undefined {
  const value = text.toLowerCase();
  if (["yes", "true", "on", "1"].includes(value)) return true;
  if (["no", "false", "off", "0"].includes(value)) return false;
  return undefined;
}

function parseLevel(text: string): LogLevel | undefined {
  const value = text.toLowerCase();
  return logLevels.find((level) => level === value);
}

/** Notes on the Go service's keys that are accepted but have no effect here. */
function compatibilityNotices(sources: Record<SettingKey, Source>): ConfigNotice[] {
  const set = (key: SettingKey) => sources[key].kind !== "default";
  const notices: ConfigNotice[] = [];
  for (const key of ["bucket_name", "queue_name"] as const) {
    if (set(key)) {
      notices.push({
        level: "info",
        msg: `${describeSetting(key, sources[key])} is accepted and ignored: Redis key names come from prefix`,
      });
    }
  }
  notices.push({
    level: set("redis.max_idle") || set("redis.max_active") ? "info" : "debug",
    msg: "redis.max_idle and redis.max_active are accepted and not needed: each process uses one multiplexed Redis connection for commands and one for pub/sub",
  });
  if (set("redis.write_timeout")) {
    notices.push({
      level: "info",
      msg: "redis.write_timeout is accepted and not used: ioredis has no write timeout; every command is bounded by redis.read_timeout",
    });
  }
  return notices;
}
