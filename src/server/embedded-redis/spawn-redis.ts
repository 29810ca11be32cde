import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { BindRace, EmbeddedRedisError, notInstalledMessage } from "./errors.js";
import { HOST, probe } from "./redis-socket.js";
import type { RedisExit } from "./types.js";

const OUTPUT_LIMIT = 16 * 1024;
const BIND_FAILED = /Address already in use|Could not create server TCP listening socket/i;
const DEFAULT_READY_TIMEOUT_MS = 60_000;

/** What {@link spawnRedis} takes. */
export interface SpawnOptions {
  /** The binary. Default: `redis-server` from `PATH`. */
  command?: string | undefined;
  /** Redis's `--dir`: its AOF lives here. */
  dir: string;
  port: number;
  logger: Logger;
  /** Longest wait for the first answer, ms. Default: 60000. */
  readyTimeoutMs?: number | undefined;
}

/** A redis-server child process that has answered. */
export interface RedisProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process exits, with its exit code or signal. */
  readonly exited: Promise<RedisExit>;
  /** True until the process has exited. */
  running(): boolean;
}

/**
 * Spawns `redis-server` on `port` (loopback, AOF everysec, no RDB snapshots, in its own process
 * group), relays its log lines to `logger`, and resolves once it answers PING with its own pid.
 * @throws EmbeddedRedisError `not_installed` or `failed` (with its output); BindRace when the
 *   port was taken before Redis could bind it
 */
export async function spawnRedis(options: SpawnOptions): Promise<RedisProcess> {
  const { dir, port, logger } = options;
  const args = [
    ...["--port", String(port), "--bind", HOST, "--dir", dir],
    ...["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
    ...["--daemonize", "no", "--logfile", ""],
  ];
  // Own process group: a terminal's Ctrl-C reaches us only, and we stop Redis after the server.
  const child = spawn(options.command ?? "redis-server", args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const output = captureOutput(child, logger);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new EmbeddedRedisError("not_installed", notInstalledMessage);
    throw new EmbeddedRedisError("failed", `cannot run redis-server: ${(error as Error).message}`);
  }
  child.on("error", (error) => logger.warn({ err: error }, "redis-server process error"));
  const exited = new Promise<RedisExit>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const redis: RedisProcess = {
    child,
    pid: child.pid as number,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
  };
  await waitReady(redis, port, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, output);
  return redis;
}

/** Logs each line the child prints and keeps the last {@link OUTPUT_LIMIT} characters. */
function captureOutput(child: ChildProcess, logger: Logger): () => string {
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
  return () => output;
}

/** Polls until the process on `port` answers with `redis.pid`; kills it past the deadline. */
async function waitReady(
  redis: RedisProcess,
  port: number,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const { child, pid, exited } = redis;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!redis.running()) {
      await exited;
      if (BIND_FAILED.test(output())) throw new BindRace();
      throw new EmbeddedRedisError(
        "failed",
        `redis-server exited (code ${child.exitCode}, signal ${child.signalCode}) before answering; its output:\n${output()}`,
      );
    }
    // Matching the pid proves the answer came from our process, not one that won the port.
    if ((await probe(port)) === pid) return;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new EmbeddedRedisError(
        "failed",
        `redis-server did not answer within ${timeoutMs} ms; its output:\n${output()}`,
      );
    }
    await sleep(25);
  }
}
