import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";

const HOST = "127.0.0.1";
const LOCK_FILE = "embedded.lock";
const OUTPUT_LIMIT = 16 * 1024;
const PORT_ATTEMPTS = 5;
const STOP_TIMEOUT_MS = 15_000;
const BIND_FAILED = /Address already in use|Could not create server TCP listening socket/i;

/** Options of {@link startEmbeddedRedis}. */
export interface EmbeddedRedisOptions {
  /** The service's data dir; Redis keeps its AOF in `<dataDir>/redis`. */
  dataDir: string;
  logger: Logger;
  /** The binary. Default: `redis-server` from `PATH`. */
  command?: string;
  /** Longest wait for the first answer, AOF replay included, ms. Default: 60000. */
  readyTimeoutMs?: number;
}

/** A running embedded `redis-server`. */
export interface EmbeddedRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** `<dataDir>/redis`. */
  readonly dir: string;
  /** Resolves when the process exits, for whatever reason, with its exit code or signal. */
  readonly exited: Promise<RedisExit>;
  /** SHUTDOWN (the AOF is fsynced), wait for the exit, release the data dir. Safe twice. */
  stop(): Promise<void>;
  /** For `process.on("exit")`: SIGTERM, which redis-server also handles as a clean shutdown. */
  signalStop(): void;
}

/** How the embedded redis-server ended. */
export interface RedisExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type EmbeddedRedisErrorKind = "not_installed" | "in_use" | "failed";

/** Starting the embedded Redis failed; `message` says what to do. */
export class EmbeddedRedisError extends Error {
  override name = "EmbeddedRedisError";
  constructor(
    readonly kind: EmbeddedRedisErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const NOT_INSTALLED =
  "redis-server not found on PATH. No Redis is configured, so delay-queue runs its own " +
  "redis-server and needs the binary: install it: Debian/Ubuntu `apt-get install -y redis-server`, " +
  "macOS `brew install redis`. Or point it at your Redis with redis.host, DQ_REDIS_HOST or --redis.";

/**
 * Starts a private `redis-server` on a free loopback port with its data in `<dataDir>/redis`
 * (`--appendonly yes --appendfsync everysec`, no RDB snapshots) and resolves once it answers.
 * A lock file in that dir keeps a second one off the same data; one left running by a
 * delay-queue that died is shut down cleanly and replaced.
 * @throws EmbeddedRedisError `not_installed` (with the install command), `in_use` or `failed`
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = join(options.dataDir, "redis");
  const logger = options.logger.child({ component: "embedded-redis" });
  await mkdir(dir, { recursive: true });
  await acquireLock(dir, logger);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await launch({ ...options, dir, port, logger });
      } catch (error) {
        if (!(error instanceof BindRace) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await unlink(join(dir, LOCK_FILE)).catch(() => {});
    throw error;
  }
}

/** redis-server lost its port to another process between our probe and its bind. */
class BindRace extends Error {}

interface Launch extends EmbeddedRedisOptions {
  dir: string;
  port: number;
}

async function launch({
  command,
  dir,
  port,
  logger,
  readyTimeoutMs,
}: Launch): Promise<EmbeddedRedis> {
  const args = [
    ...["--port", String(port), "--bind", HOST, "--dir", dir],
    ...["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
    ...["--daemonize", "no", "--logfile", ""],
  ];
  // Own process group: a terminal's Ctrl-C reaches us only, and we stop Redis after the server.
  const child = spawn(command ?? "redis-server", args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const onOutput = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    for (const line of chunk.toString().split("\n")) {
      // Redis log lines: `pid:role date time <level> message`, `#` being a warning.
      if (line.trim() !== "") logger[/^\d+:\w \S+ \S+ \S+ # /.test(line) ? "warn" : "debug"](line);
    }
  };
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new EmbeddedRedisError("not_installed", NOT_INSTALLED);
    throw new EmbeddedRedisError("failed", `cannot run redis-server: ${(error as Error).message}`);
  }
  child.on("error", (error) => logger.warn({ err: error }, "redis-server process error"));
  const pid = child.pid as number;
  const exited = new Promise<RedisExit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;

  const deadline = Date.now() + (readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!running()) {
      await exited;
      if (BIND_FAILED.test(output)) throw new BindRace();
      throw new EmbeddedRedisError(
        "failed",
        `redis-server exited (code ${child.exitCode}, signal ${child.signalCode}) before answering; its output:\n${output}`,
      );
    }
    // Matching the pid proves the answer came from our process, not one that won the port.
    if ((await probe(port)) === pid) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new EmbeddedRedisError(
        "failed",
        `redis-server did not answer within ${readyTimeoutMs ?? 60_000} ms; its output:\n${output}`,
      );
    }
    await sleep(25);
  }
  await writeLock(dir, { ownerPid: process.pid, redisPid: pid, port });
  logger.info({ redisPid: pid, port, dir }, "embedded redis-server started");
  return handle(child, { dir, port, pid, exited, running, logger });
}

interface HandleState {
  dir: string;
  port: number;
  pid: number;
  exited: Promise<RedisExit>;
  running: () => boolean;
  logger: Logger;
}

function handle(child: ChildProcess, state: HandleState): EmbeddedRedis {
  const { dir, port, pid, exited, running, logger } = state;
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (running()) {
      // SHUTDOWN flushes and fsyncs the AOF; SIGTERM does the same if the socket fails.
      if (!(await sendShutdown(port))) child.kill("SIGTERM");
      if (!(await within(exited, STOP_TIMEOUT_MS))) {
        logger.error({ redisPid: pid }, "embedded redis-server did not stop in time; killing it");
        child.kill("SIGKILL");
        await exited;
      }
    }
    await unlink(join(dir, LOCK_FILE)).catch(() => {});
    logger.info({ redisPid: pid }, "embedded redis-server stopped");
  };
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    pid,
    dir,
    exited,
    stop() {
      stopping ??= stop();
      return stopping;
    },
    signalStop() {
      if (running()) child.kill("SIGTERM");
    },
  };
}

/** True if `promise` settles within `ms`; the timer does not outlive the wait. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Lock {
  ownerPid: number;
  redisPid?: number;
  port?: number;
}

/** Takes `<dir>/embedded.lock`, clearing one left by a delay-queue that is gone. */
async function acquireLock(dir: string, logger: Logger): Promise<void> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 1; ; attempt++) {
    try {
      const file = await open(path, "wx");
      await file.writeFile(JSON.stringify({ ownerPid: process.pid } satisfies Lock));
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw error;
    }
    const held = await readLock(path);
    const redisUp =
      held?.redisPid && held.port ? (await probe(held.port)) === held.redisPid : false;
    // A live owner whose Redis is up, or not started yet, holds the dir; one whose Redis is
    // gone is stopping (or its pid was reused): the lock is stale.
    const starting = held !== undefined && held.redisPid === undefined;
    if (held && held.ownerPid !== process.pid && isAlive(held.ownerPid) && (starting || redisUp)) {
      const redis = held.redisPid
        ? ` and its redis-server (pid ${held.redisPid}, port ${held.port})`
        : "";
      throw new EmbeddedRedisError(
        "in_use",
        `data dir ${dir} is in use by a running delay-queue (pid ${held.ownerPid})${redis}: stop it first, or give this one another data_dir (--data-dir)`,
      );
    }
    if (held?.redisPid && held.port && redisUp) {
      logger.warn(
        { redisPid: held.redisPid, port: held.port },
        "an embedded redis-server left running by a delay-queue that is gone holds this data dir; shutting it down cleanly",
      );
      await sendShutdown(held.port);
      if (!(await waitGone(held.redisPid))) {
        throw new EmbeddedRedisError(
          "in_use",
          `data dir ${dir} is held by redis-server pid ${held.redisPid} (port ${held.port}), left by an earlier run, and it did not shut down: stop it (redis-cli -p ${held.port} shutdown) and start again`,
        );
      }
    }
    await unlink(path).catch(() => {});
  }
}

async function readLock(path: string): Promise<Lock | undefined> {
  // A starter that just created the file may not have written it yet.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const lock = JSON.parse(await readFile(path, "utf8")) as Lock;
      if (typeof lock.ownerPid === "number") return lock;
    } catch {}
    await sleep(100);
  }
  return undefined;
}

async function writeLock(dir: string, lock: Lock): Promise<void> {
  const file = await open(join(dir, LOCK_FILE), "w");
  await file.writeFile(JSON.stringify(lock));
  await file.close();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (dead, not yet reaped) still takes signals; Linux shows it as state Z.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

async function waitGone(pid: number): Promise<boolean> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Asks the OS for a free loopback port. Another process may still take it before Redis binds. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends SHUTDOWN; true once Redis closed the connection (it does not answer on success). */
function sendShutdown(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let answer = "";
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on("error", () => resolve(false));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
    });
    socket.on("close", () => resolve(!answer.startsWith("-")));
    socket.on("connect", () => socket.write("SHUTDOWN\r\n"));
  });
}

/** PING then INFO server over a raw socket; the server's pid once it answers PONG. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let data = "";
    const finish = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1_000, () => finish(undefined));
    socket.on("error", () => finish(undefined));
    socket.on("close", () => finish(undefined));
    socket.on("connect", () => socket.write("PING\r\nINFO server\r\n"));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      // Anything but PONG first (such as -LOADING while the AOF replays) means not ready.
      if (!"+PONG\r\n".startsWith(data.slice(0, 7))) return finish(undefined);
      const pid = /process_id:(\d+)\r\n/.exec(data);
      if (pid) finish(Number(pid[1]));
    });
  });
}
