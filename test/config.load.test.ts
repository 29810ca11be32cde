import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseIni } from "../src/config/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dq-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` as an ini file in the temp dir; returns its path. */
async function conf(text: string, name = "delay-queue.conf"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The ConfigError that `load` throws. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

// The Go service's keys, set, each with an inline comment as its sample has them.
const goFile = `
bind_address = 127.0.0.1:9300   ; http server listen address
bucket_size = 5                 ; number of buckets
bucket_name = dq_bucket_%d      ; %d must stay
queue_name = dq_queue_%s        ; %s must stay
queue_block_timeout = 170       ; seconds
redis.host = 10.0.0.7:6380      ; redis address
redis.db = 4
redis.password = s3cret         ; empty for none
redis.max_idle = 20
redis.max_active = 100
redis.connect_timeout = 2500    ; ms
redis.read_timeout = 90000      ; ms
redis.write_timeout = 1000      ; ms
`;

describe("the ini file", () => {
  it("reads every key of the Go service and cuts inline ; comments", async () => {
    const config = loadConfig({ argv: ["-c", await conf(goFile)], cwd: dir });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 9300,
      shards: 5,
      bucketName: "dq_bucket_%d",
      queueName: "dq_queue_%s",
      queueBlockTimeoutSeconds: 170,
      redisConfigured: true,
    });
    expect(config.redis).toEqual({
      host: "10.0.0.7",
      port: 6380,
      db: 4,
      password: "s3cret",
      username: "",
      tls: false,
      connectTimeoutMs: 2500,
      readTimeoutMs: 90000,
      writeTimeoutMs: 1000,
      maxIdle: 20,
      maxActive: 100,
    });
  });

  it("gives the Go defaults for the Go service's own sample, where every key is commented out", async () => {
    const sample = [
      ";bind_address = 0.0.0.0:9278   ; http server listen address",
      ";bucket_size = 3               ; bucket count",
      ";redis.host = 127.0.0.1:6379   ; redis address",
      ";redis.password =              ; empty for none",
    ].join("\n");
    const config = loadConfig({ argv: ["-c", await conf(sample)], cwd: dir });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 9277,
      shards: 3,
      redisConfigured: false,
    });
    expect(config.redis).toMatchObject({ host: "127.0.0.1", port: 6379, db: 1, password: "" });
    expect(config.queueBlockTimeoutSeconds).toBe(178);
    expect(config.notices.filter((n) => n.level === "warn")).toEqual([]);
  });

  it("keeps ; and # inside quoted values, and # comments too", () => {
    const { layer } = parseIni(
      [
        "# a comment line",
        `redis.password = "a;b#c"   ; the password`,
        "prefix = 'q1'  # single quotes",
        "auth_tokens = t1,t2#t3",
      ].join("\n"),
      "x.conf",
    );
    expect(layer["redis.password"]?.value).toBe("a;b#c");
    expect(layer.prefix?.value).toBe("q1");
    expect(layer.auth_tokens?.value).toBe("t1,t2");
  });

  it("keeps true, false, null and quoted numbers as the text the file holds", () => {
    const { layer } = parseIni(
      "redis.password = true\nprefix = null\nembedded_redis = false\nbucket_size = '7'",
      "x.conf",
    );
    expect(layer["redis.password"]?.value).toBe("true");
    expect(layer.prefix?.value).toBe("null");
    expect(layer.embedded_redis?.value).toBe("false");
    expect(layer.bucket_size?.value).toBe("7");
  });

  it("warns about unknown keys and keys in a section instead of failing", async () => {
    const path = await conf("bucket = 5\nprefix = p1\n[delay-queue]\nbind_address = 1.2.3.4:1\n");
    const config = loadConfig({ argv: ["-c", path], cwd: dir });
    expect(config.prefix).toBe("p1");
    expect(config.port).toBe(9277);
    const warnings = config.notices.filter((n) => n.level === "warn").map((n) => n.msg);
    expect(warnings).toEqual([
      `${path}: unknown key bucket ignored`,
      `${path}: section [delay-queue] ignored (bind_address): every key belongs in the top section`,
    ]);
  });

  it("names a file that cannot be read", () => {
    const error = configError(() => loadConfig({ argv: ["-c", "missing.conf"], cwd: dir }));
    expect(error.message).toBe("cannot read config file missing.conf: ENOENT");
  });
});

describe("precedence", () => {
  it("takes defaults, then the file, then DQ_* variables, then flags", async () => {
    const path = await conf(
      "bind_address = 127.0.0.1:1001\nprefix = file\nbucket_size = 4\nlog_level = warn",
    );
    const env = { DQ_PREFIX: "env", DQ_BUCKET_SIZE: "6" };
    const config = loadConfig({ argv: ["-c", path, "--shards", "8"], env, cwd: dir });
    expect(config.port).toBe(1001);
    expect(config.logLevel).toBe("warn");
    expect(config.prefix).toBe("env");
    expect(config.shards).toBe(8);
    expect(config.bodyLimitBytes).toBe(1048576);
    expect(config.sources.bind_address).toEqual({ kind: "file", path });
    expect(config.sources.prefix).toEqual({ kind: "env", name: "DQ_PREFIX" });
    expect(config.sources.bucket_size).toEqual({ kind: "flag", name: "shards" });
    expect(config.sources.body_limit).toEqual({ kind: "default" });
  });

  it("reads the file named by DQ_CONFIG unless -c names another", async () => {
    const fromEnv = await conf("prefix = from-env-file", "a.conf");
    const fromFlag = await conf("prefix = from-flag-file", "b.conf");
    expect(loadConfig({ env: { DQ_CONFIG: fromEnv }, cwd: dir }).prefix).toBe("from-env-file");
    const both = loadConfig({ argv: ["-c", fromFlag], env: { DQ_CONFIG: fromEnv }, cwd: dir });
    expect(both.prefix).toBe("from-flag-file");
  });

  it("treats an empty DQ_* variable as unset and warns about unknown ones", () => {
    const config = loadConfig({ env: { DQ_PREFIX: "", DQ_PERFIX: "x" } });
    expect(config.prefix).toBe("dq");
    expect(config.notices).toContainEqual({
      level: "warn",
      msg: "unknown environment variable DQ_PERFIX ignored",
    });
  });

  it("lets a redis:// URL in a flag override the password and db of the file", async () => {
    const path = await conf("redis.host = a:1\nredis.password = old\nredis.db = 2");
    const argv = ["-c", path, "--redis", "redis://u:n%40w@b:2/5"];
    const { redis } = loadConfig({ argv, cwd: dir });
    expect(redis).toMatchObject({ host: "b", port: 2, username: "u", password: "n@w", db: 5 });
  });
});

describe("validation", () => {
  it("names the key and the file: bind_address in delay-queue.conf", async () => {
    const path = await conf("bind_address = x");
    const error = configError(() => loadConfig({ argv: ["-c", "delay-queue.conf"], cwd: dir }));
    expect(path.endsWith("delay-queue.conf")).toBe(true);
    expect(error.message).toBe('bind_address "x" in delay-queue.conf: expected host:port');
    expect(error.key).toBe("bind_address");
  });

  it("names the variable for a bad DQ_* value and the flag for a bad flag", () => {
    const fromEnv = configError(() => loadConfig({ env: { DQ_BUCKET_SIZE: "0" } }));
    expect(fromEnv.message).toBe(
      'DQ_BUCKET_SIZE "0" (environment): expected a whole number from 1 to 1024',
    );
    const fromFlag = configError(() => loadConfig({ argv: ["--block-timeout", "181"] }));
    expect(fromFlag.message).toBe('--block-timeout "181": expected a whole number from 0 to 180');
  });

  it.each([
    ["--redis", "a:b:c", /--redis "a:b:c": expected host:port or redis:\/\//],
    ["--prefix", "a b", /--prefix "a b": expected 1-64 of/],
    ["--log-level", "loud", /--log-level "loud": expected one of fatal, error/],
    ["--embedded-redis", "maybe", /--embedded-redis "maybe": expected auto, yes or no/],
    ["--body-limit", "1.5", /--body-limit "1.5": expected a whole number from 1 to 67108864/],
    ["--redis-db=-1", undefined, /--redis-db "-1": expected a whole number/],
    ["--rpc-fast-path", "maybe", /--rpc-fast-path "maybe": expected yes or no/],
    ["--heap-growing-percent", "301", /"301": expected a whole number from 0 to 300/],
    ["--heap-growing-percent=-5", undefined, /"-5": expected a whole number from 0 to 300/],
  ])("rejects %s %s", (flag, value, message) => {
    const argv = value === undefined ? [flag] : [flag, value];
    expect(configError(() => loadConfig({ argv })).message).toMatch(message);
  });

  it("never shows a password or token in a message", () => {
    const url = configError(() => loadConfig({ argv: ["--redis", "redis://:hunter2@h:99999"] }));
    expect(url.message).toBe(
      '--redis "redis://:***@h:99999": expected host:port or redis://[user:password@]host:port[/db]',
    );
    const token = configError(() => loadConfig({ env: { DQ_AUTH_TOKENS: "good,bad token" } }));
    expect(token.message).toBe(
      "DQ_AUTH_TOKENS (environment): expected comma-separated tokens of printable ASCII, without spaces",
    );
  });

  it("serves RPCs on the fast path unless rpc_fast_path says no", async () => {
    expect(loadConfig({}).rpcFastPath).toBe(true);
    const path = await conf("rpc_fast_path = no", "fast-path.conf");
    expect(loadConfig({ argv: ["-c", path] }).rpcFastPath).toBe(false);
    expect(loadConfig({ argv: ["-c", path, "--rpc-fast-path", "yes"] }).rpcFastPath).toBe(true);
    expect(loadConfig({ env: { DQ_RPC_FAST_PATH: "off" } }).rpcFastPath).toBe(false);
  });

  it("serves legacy calls on the fast path unless legacy_fast_path says no", async () => {
    expect(loadConfig({}).legacyFastPath).toBe(true);
    const path = await conf("legacy_fast_path = no", "legacy-fast-path.conf");
    expect(loadConfig({ argv: ["-c", path] }).legacyFastPath).toBe(false);
    const flag = ["-c", path, "--legacy-fast-path", "yes"];
    expect(loadConfig({ argv: flag }).legacyFastPath).toBe(true);
    expect(loadConfig({ env: { DQ_LEGACY_FAST_PATH: "no" } }).legacyFastPath).toBe(false);
    expect(loadConfig({ argv: ["-c", path] }).rpcFastPath).toBe(true);
  });

  it("leaves the heap's growth to V8 unless heap_growing_percent says otherwise", async () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(0);
    const path = await conf("heap_growing_percent = 10", "heap.conf");
    expect(loadConfig({ argv: ["-c", path] }).heapGrowingPercent).toBe(10);
    const flag = ["-c", path, "--heap-growing-percent", "25"];
    expect(loadConfig({ argv: flag }).heapGrowingPercent).toBe(25);
    expect(loadConfig({ env: { DQ_HEAP_GROWING_PERCENT: "50" } }).heapGrowingPercent).toBe(50);
  });

  it("refuses a TLS certificate without its key", () => {
    const error = configError(() => loadConfig({ argv: ["--tls-cert", "c.pem"] }));
    expect(error.message).toBe("--tls-cert is set but tls_key is not: set both to serve TLS");
  });

  it("refuses embedded_redis = yes next to a configured Redis", () => {
    const env = { DQ_EMBEDDED_REDIS: "yes", DQ_REDIS_HOST: "r:6379" };
    expect(configError(() => loadConfig({ env })).message).toBe(
      'DQ_EMBEDDED_REDIS "yes" (environment) contradicts DQ_REDIS_HOST (environment): use embedded_redis = auto or no with a Redis of your own',
    );
  });

  it("reports an unknown flag", () => {
    expect(configError(() => loadConfig({ argv: ["--nope"] })).message).toMatch(
      /^Unknown option '--nope'.*; see --help$/,
    );
  });
});

describe("whether Redis is configured", () => {
  it.each([
    ["redis.host", { DQ_REDIS_HOST: "127.0.0.1:6379" }],
    ["redis.db", { DQ_REDIS_DB: "1" }],
    ["redis.password", { DQ_REDIS_PASSWORD: "pw" }],
  ])("is true once %s is set anywhere, even to its default", (_key, env) => {
    expect(loadConfig({ env }).redisConfigured).toBe(true);
  });

  it("is false when only timeouts or pool sizes are set", () => {
    const env = { DQ_REDIS_CONNECT_TIMEOUT: "100", DQ_REDIS_MAX_IDLE: "3" };
    expect(loadConfig({ env }).redisConfigured).toBe(false);
  });
});
