import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { onExit, stopChild, track } from "./children.js";
import { freePort, HOST } from "./net.js";
import { sleep } from "./progress.js";

export interface RedisLaunchOptions {
  /** Append-only file with `appendfsync everysec`. Default: no persistence at all. */
  aof: boolean;
}

/** A private redis-server for one bench run. */
export interface BenchRedis {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly version: string;
  /** The command line settings it was started with. */
  readonly args: readonly string[];
  /** A new connection (the caller closes it). */
  client(db?: number): Redis;
  /** The admin connection: INFO, CONFIG, FLUSHALL. */
  readonly admin: Redis;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port, in a temp dir, and waits for PING. */
export async function startRedis(options: RedisLaunchOptions): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), "dq-bench-redis-"));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const args = [
    ...["--port", String(port), "--bind", HOST, "--protected-mode", "no"],
    ...["--save", "", "--dir", dir, "--daemonize", "no", "--logfile", ""],
    ...["--appendonly", options.aof ? "yes" : "no"],
    ...(options.aof ? ["--appendfsync", "everysec"] : []),
  ];
  const child: ChildProcess = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  track(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error("redis-server not on PATH (Debian: apt-get install -y redis-server)")
          : error,
      ),
    );
  });
  const admin = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on("error", () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${stderr}`);
    try {
      await admin.connect();
      await admin.ping();
      break;
    } catch {
      admin.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING: ${stderr}`);
      await sleep(50);
    }
  }
  const version = /redis_version:(\S+)/.exec(await admin.info("server"))?.[1] ?? "unknown";
  const clients = new Set<Redis>();
  return {
    host: HOST,
    port,
    pid: child.pid ?? 0,
    version,
    args,
    admin,
    client(db = 0) {
      const client = new Redis({ host: HOST, port, db, maxRetriesPerRequest: 1 });
      client.on("error", () => {});
      clients.add(client);
      client.once("end", () => clients.delete(client));
      return client;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      admin.disconnect();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server --version`, for the result file even before one is started. */
export function redisBinaryVersion(): string {
  try {
    return execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
