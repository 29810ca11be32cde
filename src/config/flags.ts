import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError } from "./config-error.js";
import { type FlagName, flagKeys } from "./keys.js";
import type { Layer } from "./source.js";

/** The `serve` command's flags, parsed. */
export interface Flags {
  readonly layer: Layer;
  /** `-c FILE` / `--config FILE`. */
  readonly configFile: string | undefined;
  /** `-h` / `--help`. */
  readonly help: boolean;
  /** `-v` / `--version`. */
  readonly version: boolean;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const options: Options = {
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
};
for (const name of Object.keys(flagKeys)) options[name] = { type: "string" };

/**
 * Parses `serve` flags (`util.parseArgs`, strict): `-c FILE`, `-v`, `-h` and one long flag per
 * setting in {@link flagKeys} (`--bind HOST:PORT`, `--redis HOST:PORT|URL`, `--prefix P`, …).
 * `--flag=value` and `--flag value` both work; a flag given twice keeps the last value.
 * @throws ConfigError for an unknown flag, a missing value or a stray argument
 */
export function parseFlags(argv: readonly string[]): Flags {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split("\n")[0]}; see --help`);
  }
  const layer: Layer = {};
  for (const name of Object.keys(flagKeys) as FlagName[]) {
    const value = values[name];
    if (typeof value === "string") {
      layer[flagKeys[name]] = { value: value.trim(), source: { kind: "flag", name } };
    }
  }
  const config = values.config;
  return {
    layer,
    configFile: typeof config === "string" ? config : undefined,
    help: values.help === true,
    version: values.version === true,
  };
}

/** The flag list for `--help`. */
export const flagUsage = `Options:
  -c, --config FILE          read the Go service's ini file (env DQ_CONFIG)
      --bind HOST:PORT       listen address            (bind_address, default 0.0.0.0:9277)
      --redis HOST:PORT|URL  Redis address             (redis.host, default: embedded, see below)
      --redis-db N           Redis database            (redis.db, default 1)
      --shards N             shards                    (bucket_size, default 3)
      --block-timeout S      legacy /pop wait, seconds (queue_block_timeout, default 178)
      --prefix P             Redis key prefix          (prefix, default dq)
      --body-limit BYTES     largest job body          (body_limit, default 1048576)
      --max-pop-timeout S    longest pop wait, seconds (max_pop_timeout, default 180)
      --max-waiting-pops N   long-polls per process    (max_waiting_pops, default 10000)
      --tls-cert FILE        PEM certificate, with --tls-key: serve TLS (tls_cert)
      --tls-key FILE         PEM private key           (tls_key)
      --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (log_level, default info)
      --embedded-redis MODE  auto|yes|no               (embedded_redis, default auto)
      --data-dir DIR         embedded Redis data       (data_dir, default ./.data)
      --rpc-fast-path yes|no unary RPCs beside connect-es (rpc_fast_path, default yes)
      --legacy-fast-path yes|no
                             legacy calls beside fastify (legacy_fast_path, default yes)
      --heap-growing-percent N
                             old-space growth between full GCs, 0 = V8's
                             (heap_growing_percent, default 0)
  -v, --version              print the version
  -h, --help                 print this help

Every setting is also an ini key and a DQ_* variable (redis.host: DQ_REDIS_HOST). Secrets
have no flag: set redis.password / auth_tokens in the file or DQ_REDIS_PASSWORD / DQ_AUTH_TOKENS.
Precedence: defaults < ini file < environment < flags.

With embedded_redis=auto and no redis.host, redis.db or redis.password set anywhere, a
private redis-server is started with its AOF under <data_dir>/redis and stopped with the server.`;
