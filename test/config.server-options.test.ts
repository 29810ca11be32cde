import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/commands/index.js";
import {
  ConfigError,
  loadConfig,
  logConfig,
  toServerOptions,
  usesEmbeddedRedis,
} from "../src/config/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dq-options-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real pino logger writing into an array, at `level`. */
function memoryLogger(level: "debug" | "info" = "debug") {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe("toServerOptions", () => {
  it("maps redis.host, redis.db, redis.password and the timeouts onto the ioredis connection", () => {
    const env = {
      DQ_REDIS_HOST: "10.1.2.3:6390",
      DQ_REDIS_DB: "3",
      DQ_REDIS_PASSWORD: "pw",
      DQ_REDIS_CONNECT_TIMEOUT: "1500",
      DQ_REDIS_READ_TIMEOUT: "20000",
    };
    const options = toServerOptions(loadConfig({ env }), memoryLogger().logger);
    expect(options.queue.connection).toEqual({
      host: "10.1.2.3",
      port: 6390,
      db: 3,
      password: "pw",
      connectTimeout: 1500,
      commandTimeout: 20000,
    });
  });

  it("gives the Go defaults: db 1, 5 s to connect, 180 s per command, no password", () => {
    const options = toServerOptions(
      loadConfig({ env: { DQ_EMBEDDED_REDIS: "no" } }),
      memoryLogger().logger,
    );
    expect(options.queue.connection).toEqual({
      host: "127.0.0.1",
      port: 6379,
      db: 1,
      connectTimeout: 5000,
      commandTimeout: 180000,
    });
  });

  it("sets no command timeout when redis.read_timeout is 0, and TLS for a rediss:// URL", () => {
    const env = { DQ_REDIS_HOST: "rediss://app@r.example:6380/2", DQ_REDIS_READ_TIMEOUT: "0" };
    const options = toServerOptions(loadConfig({ env }), memoryLogger().logger);
    expect(options.queue.connection).toEqual({
      host: "r.example",
      port: 6380,
      db: 2,
      username: "app",
      tls: { servername: "r.example" },
      connectTimeout: 5000,
    });
  });

  it("points at the embedded Redis without the configured password", () => {
    const config = loadConfig({ env: { DQ_EMBEDDED_REDIS: "auto" } });
    expect(usesEmbeddedRedis(config)).toBe(true);
    const options = toServerOptions(config, memoryLogger().logger, {
      host: "127.0.0.1",
      port: 4242,
    });
    expect(options.queue.connection).toMatchObject({ host: "127.0.0.1", port: 4242, db: 1 });
    expect(options.queue.connection).not.toHaveProperty("password");
  });

  it("carries bind, shards, prefix, block timeout, body limit and auth tokens", () => {
    const argv = ["--bind", "[::1]:0", "--shards", "2", "--prefix", "app", "--body-limit", "2048"];
    const env = { DQ_AUTH_TOKENS: " a1 , b2 ,", DQ_QUEUE_BLOCK_TIMEOUT: "30" };
    const options = toServerOptions(loadConfig({ argv, env }), memoryLogger().logger);
    expect(options).toMatchObject({
      host: "::1",
      port: 0,
      legacyPopTimeoutSeconds: 30,
      requestLimitBytes: 2048 + 64 * 1024,
      authTokens: ["a1", "b2"],
      tls: undefined,
    });
    expect(options.queue).toMatchObject({
      prefix: "app",
      shards: 2,
      limits: { maxBodyBytes: 2048 },
    });
  });

  it("reads the TLS files, relative to the working directory", async () => {
    await writeFile(join(dir, "c.pem"), "CERT");
    await writeFile(join(dir, "k.pem"), "KEY");
    const config = loadConfig({ argv: ["--tls-cert", "c.pem", "--tls-key", "k.pem"], cwd: dir });
    const { tls } = toServerOptions(config, memoryLogger().logger);
    expect(tls?.cert.toString()).toBe("CERT");
    expect(tls?.key.toString()).toBe("KEY");
  });

  it("names the key and source of a TLS file it cannot read", () => {
    const config = loadConfig({ env: { DQ_TLS_CERT: "/nonexistent/c.pem", DQ_TLS_KEY: "k.pem" } });
    const read = () => toServerOptions(config, memoryLogger().logger);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('DQ_TLS_CERT "/nonexistent/c.pem" (environment): cannot read: ENOENT');
  });
});

describe("the logged configuration", () => {
  it("shows where values came from but never the Redis password or the auth tokens", async () => {
    const path = join(dir, "secret.conf");
    await writeFile(
      path,
      "redis.password = file-pass-123 ; secret\nauth_tokens = tok-aaa,tok-bbb\n",
    );
    const env = { DQ_REDIS_HOST: "redis://:url-pass-456@127.0.0.1:6379/0" };
    const config = loadConfig({ argv: ["-c", path], env, cwd: dir });
    expect(config.redis.password).toBe("url-pass-456");
    const { logger, lines } = memoryLogger();
    logConfig(config, logger);
    const output = lines.join("");
    for (const secret of ["file-pass-123", "url-pass-456", "tok-aaa", "tok-bbb"]) {
      expect(output).not.toContain(secret);
    }
    const loaded = lines
      .map((line) => JSON.parse(line))
      .find((l) => l.msg === "configuration loaded");
    expect(loaded.config.redis).toMatchObject({ host: "127.0.0.1", passwordSet: true, db: 0 });
    expect(loaded.config.authTokenCount).toBe(2);
    expect(loaded.config.sources["redis.password"]).toBe("env DQ_REDIS_HOST");
    expect(loaded.config.sources.auth_tokens).toBe("file secret.conf");
  });

  it("masks secrets that reach the logger by another path", () => {
    const { logger, lines } = memoryLogger();
    logger.info({ connection: { host: "h", password: "pw-789" }, authTokens: ["tok-ccc"] }, "x");
    expect(lines.join("")).not.toMatch(/pw-789|tok-ccc/);
    expect(JSON.parse(lines[0] ?? "{}").connection.password).toBe("[redacted]");
  });

  it("logs the Go keys it accepts and ignores", () => {
    const env = { DQ_BUCKET_NAME: "b_%d", DQ_REDIS_MAX_ACTIVE: "5", DQ_REDIS_WRITE_TIMEOUT: "10" };
    const { logger, lines } = memoryLogger("info");
    logConfig(loadConfig({ env }), logger);
    const messages = lines.map((line) => JSON.parse(line).msg as string);
    expect(messages).toContain(
      "DQ_BUCKET_NAME (environment) is accepted and ignored: Redis key names come from prefix",
    );
    expect(
      messages.some((m) => m.startsWith("redis.max_idle and redis.max_active are accepted")),
    ).toBe(true);
    expect(messages.some((m) => m.startsWith("redis.write_timeout is accepted and not used"))).toBe(
      true,
    );
  });
});
