import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const script = fileURLToPath(new URL("../fixtures/engine-worker.ts", import.meta.url));

/** How to configure `test/fixtures/engine-worker.ts` (see its header for the modes). */
export interface EngineWorkerConfig {
  url: string;
  prefix: string;
  shards: number;
  mode: "push" | "consume" | "mixed" | "hold";
  topic: string;
  /** Pushed ids are this plus a counter; give each worker its own. */
  idPrefix?: string;
  ttrMs?: number;
  /** Loops of each kind. */
  concurrency?: number;
  /** `hold` mode: stop popping after this many jobs. */
  hold?: number;
}

/** What a worker printed, by kind. */
export interface WorkerRecord {
  /** Ids whose push resolved. */
  pushed: string[];
  /** Hand-outs, in order. */
  reserved: { id: string; attempts: number; token: string }[];
  /** Ids whose finish returned "done". */
  finished: string[];
  /** Ids whose finish returned something else. */
  unfinished: string[];
  /** Ids handed out whose finish reported nothing: in hand (or in flight) when the worker died. */
  inHand: string[];
}

/** A running `engine-worker` child process. */
export interface EngineWorker {
  readonly child: ChildProcess;
  /** Complete stdout lines so far. */
  readonly lines: readonly string[];
  /** Resolves once `predicate` holds for the lines read so far; rejects after `timeoutMs`. */
  waitFor(predicate: (lines: readonly string[]) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGKILLs the child and resolves once its stdout is fully read. Safe to call twice. */
  kill(): Promise<void>;
  /** Parses the lines read so far. */
  record(): WorkerRecord;
}

/** Starts the engine worker with `node --import tsx` and collects its stdout lines. */
export function spawnEngineWorker(config: EngineWorkerConfig): EngineWorker {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DQ_URL: config.url,
    DQ_PREFIX: config.prefix,
    DQ_SHARDS: String(config.shards),
    DQ_MODE: config.mode,
    DQ_TOPIC: config.topic,
    DQ_ID_PREFIX: config.idPrefix ?? "w-",
    DQ_TTR_MS: String(config.ttrMs ?? 30_000),
    DQ_CONCURRENCY: String(config.concurrency ?? 4),
  };
  if (config.hold !== undefined) env.DQ_HOLD = String(config.hold);
  // stdin stays open: the worker exits when it closes, so it never outlives this process.
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const listener of listeners) listener();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  let exited = false;
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  void closed.then(() => {
    exited = true;
    for (const listener of listeners) listener();
  });

  const worker: EngineWorker = {
    child,
    lines,
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(lines)) return done(resolve);
          if (exited) return done(() => reject(new Error(`worker exited early:\n${stderr}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`worker timed out; stderr:\n${stderr}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await closed;
    },
    record: () => parseRecord(lines),
  };
  running.add(worker);
  void closed.then(() => running.delete(worker));
  return worker;
}

const running = new Set<EngineWorker>();

/** SIGKILLs every worker still running; call it in `afterEach` so a failed test leaves none. */
export async function killEngineWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.kill()));
}

function parseRecord(lines: readonly string[]): WorkerRecord {
  const record: WorkerRecord = {
    pushed: [],
    reserved: [],
    finished: [],
    unfinished: [],
    inHand: [],
  };
  for (const line of lines) {
    const [kind, id = "", a, b] = line.split(" ");
    if (kind === "P") record.pushed.push(id);
    else if (kind === "R") record.reserved.push({ id, attempts: Number(a), token: String(b) });
    else if (kind === "F") record.finished.push(id);
    else if (kind === "N") record.unfinished.push(id);
  }
  const settled = new Set([...record.finished, ...record.unfinished]);
  record.inHand = [...new Set(record.reserved.map((r) => r.id))].filter((id) => !settled.has(id));
  return record;
}
