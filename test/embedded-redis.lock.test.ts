import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedRedisError, startEmbeddedRedis } from "../src/server/embedded-redis/index.js";
import { freePort, probe } from "./harness/loopback.js";
import { waitUntil } from "./harness/wait.js";

const logger = pino({ level: "silent" });
let dir: string;
let strays: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dq-embedded-"));
  await mkdir(join(dir, "redis"));
});
afterEach(async () => {
  for (const child of strays) child.kill("SIGKILL");
  strays = [];
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("close", resolve));
  return child.pid as number;
}

/** A redis-server in `<dir>/redis`, as an earlier delay-queue would have left it. */
async function leftoverRedis(): Promise<{ pid: number; port: number; exited: Promise<unknown> }> {
  const port = await freePort();
  const child = spawn("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1", "--dir", join(dir, "redis")],
    ...["--appendonly", "yes", "--save", ""],
  ]);
  strays.push(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitUntil(async () => (await probe(port)) === child.pid, { message: "redis-server up" });
  return { pid: child.pid as number, port, exited };
}

const writeLock = (lock: object) =>
  writeFile(join(dir, "redis", "embedded.lock"), JSON.stringify(lock));

describe("the embedded Redis's lock on its data dir", () => {
  it("is taken over from a delay-queue that died, whose redis-server is shut down cleanly", async () => {
    const old = await leftoverRedis();
    await writeLock({ ownerPid: await deadPid(), redisPid: old.pid, port: old.port });

    const redis = await startEmbeddedRedis({ dataDir: dir, logger });
    try {
      await old.exited;
      expect(redis.pid).not.toBe(old.pid);
      expect(await probe(redis.port)).toBe(redis.pid);
      const lock = JSON.parse(await readFile(join(dir, "redis", "embedded.lock"), "utf8"));
      expect(lock).toEqual({ ownerPid: process.pid, redisPid: redis.pid, port: redis.port });
    } finally {
      await redis.stop();
    }
    await expect(stat(join(dir, "redis", "embedded.lock"))).rejects.toThrow(/ENOENT/);
  });

  it("is cleared when its owner and its redis-server are both gone", async () => {
    await writeLock({
      ownerPid: await deadPid(),
      redisPid: await deadPid(),
      port: await freePort(),
    });
    const redis = await startEmbeddedRedis({ dataDir: dir, logger });
    await redis.stop();
    await redis.stop(); // safe twice
    expect(() => process.kill(redis.pid, 0)).toThrow(/ESRCH/);
  });

  it("keeps another live owner's dir, whose redis-server is still starting", async () => {
    const owner = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    strays.push(owner);
    await writeLock({ ownerPid: owner.pid });
    const error = await startEmbeddedRedis({ dataDir: dir, logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedRedisError);
    expect(error).toMatchObject({ kind: "in_use" });
    expect((error as Error).message).toContain(
      `in use by a running delay-queue (pid ${owner.pid})`,
    );
  });
});
