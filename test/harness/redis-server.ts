import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis, type RedisOptions } from "ioredis";
import { freePort, HOST, probe } from "./loopback.js";
import type { RedisServer, RedisServerOptions } from "./types.js";

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const OUTPUT_LIMIT = 32 * 1024;
const NOT_FOUND =
  "redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)";
const BIND_FAILED = /Address already in use|Could not create server TCP listening socket/i;

const servers = new Set<LocalRedisServer>();

function killAllSync(): void {
  for (const server of servers) server.killSync();
}

// "exit" covers normal ends and process.exit(). Vitest stops its forks with SIGTERM, which skips
// "exit", so the usual termination signals reap servers too and then re-raise, so the process
// still dies by that signal unless someone else has a handler for it.
process.on("exit", killAllSync);
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAllSync();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Raised when redis-server lost the race for its port, so startRedis() may try another. */
class BindError extends Error {}

class LocalRedisServer implements RedisServer {
  readonly host = HOST;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly #ownsDir: boolean;
  readonly #args: string[];
  readonly #clients = new Set<Redis>();
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #output = "";
  #closing: Promise<void> | undefined;

  constructor(port: number, dir: string, ownsDir: boolean, args: string[]) {
    this.port = port;
    this.url = `redis://${HOST}:${port}`;
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.#args = args;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", this.#args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#output = "";
    const capture = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on("data", capture);
    child.stderr?.on("data", capture);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === "ENOENT" ? new Error(NOT_FOUND) : error;
    }
    // After spawn, a failed kill() also emits "error"; unhandled it would crash the worker.
    child.on("error", (error) => capture(Buffer.from(`\n[harness] ${error.message}\n`)));
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    servers.add(this);
    // A test file that forgets close() must not keep its worker alive; the exit hook reaps it.
    child.unref();
    (child.stdout as Socket | null)?.unref();
    (child.stderr as Socket | null)?.unref();
    await this.#waitReady(child);
  }

  async #waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!this.running) {
        await this.#waitExit(STOP_TIMEOUT_MS);
        const message = `redis-server on port ${this.port} exited (code ${child.exitCode}, signal ${child.signalCode}) before answering PING`;
        const ErrorType = BIND_FAILED.test(this.#output) ? BindError : Error;
        throw new ErrorType(`${message}; its output:\n${this.#output}`);
      }
      // Matching the pid proves the PONG came from our process, not one that won the port.
      if ((await probe(this.port)) === child.pid) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `redis-server on port ${this.port} did not answer PING within ${READY_TIMEOUT_MS} ms; its output:\n${this.#output}`,
        );
      }
      await sleep(25);
    }
  }

  /** Resolves true on exit, false on timeout; the timer keeps Node alive while the child is unref'd. */
  async #waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill("SIGTERM");
    // A wedged server must not hang afterAll forever.
    if (!(await this.#waitExit(STOP_TIMEOUT_MS))) await this.kill();
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill("SIGKILL");
    await this.#waitExit(STOP_TIMEOUT_MS);
  }

  async restart(): Promise<void> {
    if (this.#closing) throw new Error("restart() after close()");
    await this.stop();
    await this.start();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Clients first, so they do not spin on reconnects while the server goes down.
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    await this.stop();
    if (this.#ownsDir) await rm(this.dir, { recursive: true, force: true });
    servers.delete(this);
  }

  client(options: RedisOptions = {}): Redis {
    if (this.#closing) throw new Error("client() after close()");
    const client = new Redis({ ...options, host: this.host, port: this.port });
    this.#clients.add(client);
    client.once("end", () => this.#clients.delete(client));
    return client;
  }

  /** Last-resort cleanup for the exit hook, where only synchronous work runs. */
  killSync(): void {
    // Best effort: an exit hook that throws would hide the test's own failure.
    const pid = this.pid;
    try {
      if (pid !== undefined) process.kill(pid, "SIGKILL");
    } catch {}
    try {
      if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
    } catch {}
  }
}

/**
 * Starts a private `redis-server` on a free loopback port and resolves once it answers PING.
 * Tries a new port if another process takes the chosen one first.
 * @throws Error naming the install command when `redis-server` is not on PATH
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "dq-redis-")));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const server = new LocalRedisServer(port, dir, ownsDir, redisArgs(port, dir, options));
      try {
        await server.start();
        return server;
      } catch (error) {
        servers.delete(server);
        if (!(error instanceof BindError) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Closes every server started by this module that is not closed yet. */
export async function closeAllRedis(): Promise<void> {
  await Promise.all([...servers].map((server) => server.close()));
}

function redisArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const appendonly = options.appendonly ?? false;
  // --save "" and no AOF means nothing survives a restart, which the tests rely on.
  const args = [
    ...["--port", String(port), "--bind", HOST, "--protected-mode", "no"],
    ...["--save", "", "--dir", dir, "--appendonly", appendonly ? "yes" : "no"],
    ...["--daemonize", "no", "--logfile", ""],
  ];
  if (appendonly || options.appendfsync !== undefined) {
    args.push("--appendfsync", options.appendfsync ?? "always");
  }
  return [...args, ...(options.extraArgs ?? [])];
}
