import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root: the CLI runs from here so `--import tsx` resolves. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const START_TIMEOUT_MS = 30_000;

/** How a CLI run ended, with everything it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child's environment: PATH and HOME only, so no DQ_* or REDIS_URL of the runner leaks in. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/", ...extra };
}

function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function collect(child: ChildProcess): { result: Promise<CliResult>; output: () => CliResult } {
  const seen: CliResult = { code: null, signal: null, stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    seen.stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const result = new Promise<CliResult>((resolve) => {
    child.once("close", (code, signal) => resolve({ ...seen, code, signal }));
  });
  return { result, output: () => seen };
}

/** Runs `delay-queue args` to its end (SIGKILL after `timeoutMs`). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = cliEnv(),
  timeoutMs = START_TIMEOUT_MS,
): Promise<CliResult> {
  const child = spawnCli(args, env);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    return await collect(child).result;
  } finally {
    clearTimeout(timer);
  }
}

/** A `delay-queue` server running as a child process. */
export interface CliServer {
  /** From its "delay-queue listening" log line. */
  readonly url: string;
  readonly pid: number;
  /** Its JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Sends `signal` and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves when the process exits by itself. */
  exited(): Promise<CliResult>;
}

const running = new Set<ChildProcess>();

/** Starts `delay-queue args` and resolves once it logs "delay-queue listening". */
export async function startCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<CliServer> {
  const child = spawnCli(args, env);
  running.add(child);
  const { result, output } = collect(child);
  void result.then(() => running.delete(child));
  const logs = () =>
    output()
      .stdout.split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const listening = logs().find((line) => line.msg === "delay-queue listening");
    if (listening) {
      return {
        url: String(listening.url),
        pid: child.pid as number,
        logs,
        async stop(signal = "SIGTERM") {
          child.kill(signal);
          return result;
        },
        exited: () => result,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const ended = await result;
      throw new Error(
        `delay-queue did not start (code ${ended.code}):\n${ended.stderr}\n${ended.stdout}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops every CLI still running (SIGTERM, so an embedded Redis goes down with it). */
export async function stopAllClis(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
}

/**
 * Pids of live `redis-server` processes working in `dir` (Linux /proc). Redis rewrites its
 * command line, but it changes into its `--dir`, so its cwd tells.
 */
export function redisServersIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const alive = !/^\d+ \(.*\) Z/.test(stat);
      if (alive && stat.includes("(redis-server)") && readlinkSync(`/proc/${entry}/cwd`) === dir) {
        pids.push(Number(entry));
      }
    } catch {}
  }
  return pids;
}
