import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliEnv, redisServersIn, repoRoot, runCli, startCli, stopAllClis } from "./harness/cli.js";
import { uniquePrefix, withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { freePort } from "./harness/loopback.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dq-cli-"));
});
afterEach(async () => {
  await stopAllClis();
  await rm(dir, { recursive: true, force: true });
});

const job = { topic: "cli", id: "job-1", delay: 0, ttr: 30, body: "hello" };

describe("delay-queue -v and -h", () => {
  it("prints the version from package.json and exits 0", async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8"));
    for (const flag of ["-v", "--version", "serve -v"]) {
      const result = await runCli(flag.split(" "));
      expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    }
  });

  it("prints the usage, with every flag, and exits 0", async () => {
    const result = await runCli(["-h"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: delay-queue [command] [options]");
    const serve = await runCli(["serve", "--help"]);
    expect(serve.stdout).toContain("-c, --config FILE");
    expect(serve.stdout).toContain("--embedded-redis MODE");
  });
});

describe("bad configuration", () => {
  it("exits 2 with a message naming the key and the file", async () => {
    const path = join(dir, "bad.conf");
    await writeFile(path, "bind_address = nowhere   ; oops\n");
    const result = await runCli(["-c", path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `delay-queue: bind_address "nowhere" in ${path}: expected host:port\n`,
    );
    expect(result.stdout).toBe("");
  });

  it("exits 2 for an unknown flag, an unknown command and a bad DQ_* variable", async () => {
    expect((await runCli(["--frobnicate"])).code).toBe(2);
    expect((await runCli(["frobnicate"])).stderr).toContain('unknown command "frobnicate"');
    const env = await runCli([], cliEnv({ DQ_LOG_LEVEL: "loud" }));
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('DQ_LOG_LEVEL "loud" (environment): expected one of');
  });
});

describe("a configured Redis", () => {
  const redis = withRedis();

  it("serves the shipped delay-queue.conf: GET /healthz and a legacy POST /push", async () => {
    const env = cliEnv({
      DQ_REDIS_HOST: redis.server.url,
      DQ_BIND_ADDRESS: "127.0.0.1:0",
      DQ_PREFIX: uniquePrefix("cli"),
      DQ_DATA_DIR: dir,
    });
    const cli = await startCli(["-c", "delay-queue.conf"], env);
    const health = await fetch(new URL("/healthz", cli.url));
    expect(health.status).toBe(200);
    expect((await legacyCall(cli.url, "/push", job)).body).toMatchObject({ code: 0 });
    const got = await legacyCall(cli.url, "/get", { id: job.id });
    expect(got.body.data).toMatchObject({ topic: "cli", id: "job-1", ttr: 30, body: "hello" });

    const loaded = cli.logs().find((line) => line.msg === "configuration loaded");
    expect(loaded?.config).toMatchObject({ configFile: "delay-queue.conf", shards: 3 });
    // A configured Redis: no embedded one.
    expect(redisServersIn(join(dir, "redis"))).toEqual([]);
    const stopped = await cli.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(cli.logs().at(-1)?.msg).toBe("stopped");
  });

  it("exits 1 with the address and its source when the configured Redis is down", async () => {
    const port = await freePort();
    const env = cliEnv({ DQ_REDIS_HOST: `127.0.0.1:${port}`, DQ_DATA_DIR: dir });
    const result = await runCli(["--bind", "127.0.0.1:0"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `delay-queue: cannot use Redis at 127.0.0.1:${port} db 1 (DQ_REDIS_HOST (environment)): connect ECONNREFUSED`,
    );
    await expect(stat(join(dir, "redis"))).rejects.toThrow(/ENOENT/);
  });
});

describe("the embedded Redis", () => {
  it("starts its own redis-server under the data dir, serves, and takes it down on SIGTERM", async () => {
    const env = cliEnv({ DQ_BIND_ADDRESS: "127.0.0.1:0" });
    const cli = await startCli(["--data-dir", dir], env);
    const started = cli.logs().find((line) => line.msg === "embedded redis-server started");
    expect(started).toMatchObject({ dir: join(dir, "redis") });
    const redisPid = Number(started?.redisPid);
    expect(redisServersIn(join(dir, "redis"))).toEqual([redisPid]);
    expect((await legacyCall(cli.url, "/push", { ...job, delay: 3600 })).body.code).toBe(0);

    const stopped = await cli.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(redisServersIn(join(dir, "redis"))).toEqual([]);
    expect(() => process.kill(redisPid, 0)).toThrow(/ESRCH/);
    await expect(stat(join(dir, "redis", "appendonlydir"))).resolves.toBeTruthy();
  });

  it("keeps acknowledged jobs across a restart on the same data dir", async () => {
    const env = cliEnv({ DQ_BIND_ADDRESS: "127.0.0.1:0", DQ_DATA_DIR: dir });
    const first = await startCli([], env);
    expect((await legacyCall(first.url, "/push", { ...job, delay: 3600 })).body.code).toBe(0);
    expect((await first.stop("SIGINT")).code).toBe(0);

    const second = await startCli([], env);
    const got = await legacyCall(second.url, "/get", { id: job.id });
    expect(got.body.data).toMatchObject({ id: "job-1", body: "hello" });
    expect((await second.stop("SIGTERM")).code).toBe(0);
  });

  it("refuses to start a second redis-server on a data dir in use", async () => {
    const env = cliEnv({ DQ_BIND_ADDRESS: "127.0.0.1:0", DQ_DATA_DIR: dir });
    const first = await startCli([], env);
    const second = await runCli([], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `data dir ${join(dir, "redis")} is in use by a running delay-queue (pid ${first.pid})`,
    );
    expect((await first.stop()).code).toBe(0);
  });

  it("stops and exits 1 when its embedded redis-server dies under it", async () => {
    const cli = await startCli(["--data-dir", dir], cliEnv({ DQ_BIND_ADDRESS: "127.0.0.1:0" }));
    const started = cli.logs().find((line) => line.msg === "embedded redis-server started");
    process.kill(Number(started?.redisPid), "SIGKILL");
    const ended = await cli.exited();
    expect(ended.code).toBe(1);
    const died = cli.logs().find((line) => line.msg?.toString().includes("exited unexpectedly"));
    expect(died).toMatchObject({ level: 50, signal: "SIGKILL" });
  });

  it("prints how to install redis-server when it is not on PATH, and exits 1", async () => {
    const bin = join(dir, "bin");
    await mkdir(bin);
    await symlink(process.execPath, join(bin, "node"));
    const result = await runCli(["--data-dir", dir], cliEnv({ PATH: bin }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("redis-server not found on PATH");
    expect(result.stderr).toContain("Debian/Ubuntu `apt-get install -y redis-server`");
    expect(result.stderr).toContain("macOS `brew install redis`");
  });
});

afterAll(stopAllClis);
