import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stopChild, track } from "./children.js";
import { freePort, HOST } from "./net.js";
import { rssBytes } from "./proc.js";
import { sleep } from "./progress.js";

/** The repository root (bench/lib/../..). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface ServerLaunchOptions {
  redisPort: number;
  /** `dist`: `node dist/src/cli.js` (after `npm run build`); `tsx`: `node --import tsx src/cli.ts`. */
  entry: "dist" | "tsx";
  /** Write a V8 CPU profile into this directory when the server exits. */
  cpuProfDir?: string;
  /** Extra `DQ_*` settings. */
  env?: Record<string, string>;
  /** Extra node flags, before the entry. */
  nodeArgs?: readonly string[];
  /** Append the server's stdout and stderr to this file. */
  logFile?: string | undefined;
}

/** A delay-queue server process for the bench. */
export interface BenchServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly entry: string;
  readonly env: Record<string, string>;
  rss(): number;
  /** Graceful stop (SIGTERM): the CPU profile, if any, is written on the way out. */
  stop(): Promise<void>;
}

export function distEntry(): string {
  return `${repoRoot}dist/src/cli.js`;
}

/** Starts the server on a free port and waits until `GET /healthz` answers 200. */
export async function startServer(options: ServerLaunchOptions): Promise<BenchServer> {
  const port = await freePort();
  const env: Record<string, string> = {
    DQ_REDIS_HOST: `${HOST}:${options.redisPort}`,
    DQ_BIND_ADDRESS: `${HOST}:${port}`,
    DQ_LOG_LEVEL: "warn",
    DQ_EMBEDDED_REDIS: "no",
    ...options.env,
  };
  const nodeArgs: string[] = [...(options.nodeArgs ?? [])];
  if (options.cpuProfDir) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`);
  if (options.entry === "dist") {
    if (!existsSync(distEntry()))
      throw new Error("dist/src/cli.js is missing: run `npm run build`");
    nodeArgs.push(distEntry());
  } else {
    nodeArgs.push("--import", "tsx", `${repoRoot}src/cli.ts`);
  }
  const child: ChildProcess = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let output = "";
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: "a" });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited at start:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`the server did not answer /healthz within 30 s:\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    pid: child.pid ?? 0,
    entry: `node ${nodeArgs.join(" ")}`,
    env,
    rss: () => rssBytes(child.pid ?? 0),
    async stop() {
      await stopChild(child, 20_000);
    },
  };
}
