import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const OUTPUT_LIMIT = 256 * 1024;

/** How to run `delay-queue` (the CLI, `src/cli.ts`) as a child process. */
export interface ServerProcessOptions {
  /** The Redis it uses, `host:port` (or a `redis://` URL). */
  redis: string;
  /** Key prefix (`DQ_PREFIX`); give each test its own. */
  prefix: string;
  /** Shards (`DQ_BUCKET_SIZE`). @defaultValue 3 */
  shards?: number;
  /** Log level (`DQ_LOG_LEVEL`); the start is detected from an info line. @defaultValue "info" */
  logLevel?: string;
  /** More `DQ_*` variables, e.g. `DQ_AUTH_TOKENS`. */
  env?: Record<string, string>;
}

/**
 * A `delay-queue` server in its own process, on a loopback port that stays the
 * same across {@link ServerProcess.restart}, so clients can keep their base URL.
 */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Pid of the current process; undefined while none runs. */
  readonly pid: number | undefined;
  /** Everything the current and earlier processes printed (stdout and stderr), up to 256 KiB. */
  output(): string;
  /** SIGKILL (a crash) and wait for the exit. No-op when not running. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop) and wait for the exit. No-op when not running. */
  stop(): Promise<void>;
  /** Starts again on the same port; resolves once it logs "delay-queue listening". */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts `node --import tsx src/cli.ts` with only PATH, HOME and the given
 * `DQ_*` variables (no embedded Redis, loopback on a free port) and resolves
 * once it is listening.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const start = async (): Promise<void> => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/",
      DQ_BIND_ADDRESS: `127.0.0.1:${port}`,
      DQ_REDIS_HOST: options.redis,
      DQ_REDIS_DB: "0",
      DQ_EMBEDDED_REDIS: "no",
      DQ_PREFIX: options.prefix,
      DQ_BUCKET_SIZE: String(options.shards ?? 3),
      DQ_LOG_LEVEL: options.logLevel ?? "info",
      ...options.env,
    };
    const spawned = spawn(process.execPath, ["--import", "tsx", "src/cli.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = spawned;
    running.add(spawned);
    exited = new Promise((resolve) =>
      spawned.once("close", () => {
        running.delete(spawned);
        resolve();
      }),
    );
    let listening: (port: number) => void = () => {};
    const started = new Promise<number>((resolve) => {
      listening = resolve;
    });
    let partial = "";
    spawned.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-OUTPUT_LIMIT);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.includes("delay-queue listening")) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "delay-queue listening") listening(Number(entry.port));
      }
    });
    spawned.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    });
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no listening line in time")), START_TIMEOUT_MS);
      void exited.then(() => reject(new Error("exited before listening")));
    });
    try {
      port = await Promise.race([started, failed]);
    } catch (error) {
      spawned.kill("SIGKILL");
      await exited;
      throw new Error(`delay-queue did not start: ${(error as Error).message}\n${output}`);
    } finally {
      clearTimeout(timer);
    }
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    await exited;
    child = undefined;
  };

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    output: () => output,
    kill: () => signal("SIGKILL"),
    stop: () => signal("SIGTERM"),
    async restart() {
      await signal("SIGTERM");
      await start();
    },
  };
}

/** SIGKILLs every server process still running; for `afterEach`/`afterAll`. */
export async function killServerProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
