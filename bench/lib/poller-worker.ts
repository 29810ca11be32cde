/**
 * Parked pollers in a worker thread of their own: a job's arrival is stamped
 * on a heap that holds nothing but the pollers, so the bench thread's garbage
 * collections (its plans, its pushers, its client) do not show up as lateness.
 * Started by {@link startPollers}; this file is also the worker's entry.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createClient } from "../../sdk/index.js";
import { createDelayQueue, type DelayQueueOptions } from "../../src/index.js";
import { RawH1Connection } from "./raw-h1.js";

/** Legacy JSON on HTTP/1.1, the SDK on Connect (binary, HTTP/1.1) or gRPC, or an engine in-process. */
export type PollerKind = "legacy" | "connect" | "grpc" | "engine";

export interface PollerSettings {
  baseUrl: string;
  topic: string;
  pollers: number;
  kind: PollerKind;
  /** Long-poll wait of each pop, seconds. */
  timeoutS: number;
  /** For `engine`: the engine the worker opens, its scheduler on, to pop from in-process. */
  engine?: Pick<DelayQueueOptions, "connection" | "prefix" | "shards">;
}

/** One arrival: job id and when its pop answered, epoch ms. */
export type Arrival = readonly [string, number];

type FromWorker = { arrivals: Arrival[] } | { done: true };

/** How often the worker sends what arrived. */
const REPORT_MS = 50;

export interface Pollers {
  /** Stops polling once each pop in flight has answered; resolves when all have. */
  stop(): Promise<void>;
}

/** Starts `settings.pollers` pollers in a worker thread; `onArrival` sees every job they pop. */
export function startPollers(
  settings: PollerSettings,
  onArrival: (id: string, receivedAt: number) => void,
): Pollers {
  // The bench runs from source: the worker registers tsx before it loads this file.
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: settings });
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    worker.once("error", reject);
    worker.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`poller worker exited with ${code}`)),
    );
  });
  worker.on("message", (message: FromWorker) => {
    if ("done" in message) return resolveDone();
    for (const [id, at] of message.arrivals) onArrival(id, at);
  });
  return {
    async stop() {
      worker.postMessage("stop");
      await done;
      await worker.terminate();
    },
  };
}

/** Epoch ms with sub-ms precision. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

async function runWorker(settings: PollerSettings): Promise<void> {
  const port = parentPort;
  if (!port) return;
  let polling = true;
  let arrivals: Arrival[] = [];
  port.on("message", () => {
    polling = false;
  });
  const flush = () => {
    if (arrivals.length === 0) return;
    port.postMessage({ arrivals } satisfies FromWorker);
    arrivals = [];
  };
  const report = setInterval(flush, REPORT_MS);
  const pop =
    settings.kind === "grpc" || settings.kind === "connect"
      ? sdkPop(settings, settings.kind)
      : settings.kind === "engine"
        ? await enginePop(settings)
        : await legacyPop(settings);
  await Promise.all(
    Array.from({ length: settings.pollers }, async () => {
      while (polling) {
        const job = await pop.next().catch(() => undefined);
        const receivedAt = now();
        if (!job) continue;
        arrivals.push([job.id, receivedAt]);
        // Back to waiting at once; the finish goes out meanwhile.
        void pop.finish(job).catch(() => {});
      }
    }),
  );
  clearInterval(report);
  flush();
  await pop.close();
  port.postMessage({ done: true } satisfies FromWorker);
}

interface Popped {
  id: string;
  token?: string | undefined;
}

interface PopSource {
  next(): Promise<Popped | undefined>;
  finish(job: Popped): Promise<unknown>;
  close(): Promise<void> | void;
}

/** The SDK's client: gRPC on HTTP/2, or Connect in binary on HTTP/1.1 (its defaults). */
function sdkPop(settings: PollerSettings, protocol: "grpc" | "connect"): PopSource {
  const client = createClient({ baseUrl: settings.baseUrl, protocol });
  return {
    next: () => client.pop({ topics: [settings.topic], timeout: settings.timeoutS }),
    finish: (job) => client.finish({ id: job.id, token: job.token }),
    close: () => {},
  };
}

/** Pops straight from an engine in this thread: the scheduler's precision without HTTP. */
async function enginePop(settings: PollerSettings): Promise<PopSource> {
  const queue = await createDelayQueue({ ...settings.engine, scheduler: true });
  return {
    next: async () =>
      (await queue.pop([settings.topic], { timeoutMs: settings.timeoutS * 1000 })) ?? undefined,
    finish: (job) => queue.finish(job.id, job.token),
    close: () => queue.close(),
  };
}

/** Finishes go out on connections of their own, so that a pop never waits behind one. */
const FINISH_CONNECTIONS = 8;

/**
 * Plain HTTP/1.1 on the bench's raw client (`raw-h1.ts`): a connection per
 * poller for its pops, a few shared ones for the finishes.
 */
async function legacyPop(settings: PollerSettings): Promise<PopSource> {
  const open = async () => {
    const connection = new RawH1Connection(settings.baseUrl);
    await connection.ready;
    return connection;
  };
  const idle = await Promise.all(Array.from({ length: settings.pollers }, open));
  const finishers = await Promise.all(Array.from({ length: FINISH_CONNECTIONS }, open));
  const all = [...idle, ...finishers];
  const popRequest = (idle[0] as RawH1Connection).post(
    "/pop",
    JSON.stringify({ topic: settings.topic, timeout: settings.timeoutS }),
  );
  let turn = 0;
  return {
    async next() {
      let connection = idle.pop();
      if (!connection) {
        connection = await open();
        all.push(connection);
      }
      // A connection that failed is dropped; the next pop opens another.
      const reply = await connection.send(popRequest);
      idle.push(connection);
      const parsed = JSON.parse(reply.body.toString()) as { data: { id: string } | null };
      return parsed.data ?? undefined;
    },
    finish(job) {
      const connection = finishers[turn++ % finishers.length] as RawH1Connection;
      return connection.send(connection.post("/finish", JSON.stringify({ id: job.id })));
    },
    close() {
      for (const connection of all) connection.close();
    },
  };
}

if (!isMainThread && parentPort) void runWorker(workerData as PollerSettings);
