import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadResult } from "./load-h1.js";
import { Samples } from "./stats.js";

export interface H2loadOptions {
  /** Full URL of the gRPC method, e.g. `http://127.0.0.1:9277/delayqueue.v1.DelayQueueService/Push`. */
  url: string;
  /** The gRPC request message (unframed); every call sends the same bytes. */
  message: Uint8Array;
  clients: number;
  /** Streams in flight per client. */
  streams: number;
  durationMs: number;
}

/** Whether `h2load` (Debian: nghttp2-client) is on PATH. */
export function hasH2load(): Promise<boolean> {
  return new Promise((resolve) => execFile("h2load", ["--version"], (error) => resolve(!error)));
}

/**
 * gRPC load with h2load: a C client, far lighter per call than any Node one.
 * It sends one fixed body, so every call carries the same message. It checks
 * only the HTTP status; the caller checks the gRPC status out of band.
 * Latency comes from its per-request log.
 */
export async function runH2load(options: H2loadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "dq-bench-h2load-"));
  try {
    const body = join(dir, "body");
    const log = join(dir, "log");
    const framed = Buffer.alloc(5 + options.message.length);
    framed.writeUInt32BE(options.message.length, 1);
    framed.set(options.message, 5);
    writeFileSync(body, framed);
    const args = [
      ...["-c", String(options.clients), "-m", String(options.streams)],
      // No --warm-up-time: its calls land in the log as failures. Callers warm up separately.
      ...["-D", `${Math.round(options.durationMs)}ms`],
      ...["-d", body, "--log-file", log],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
      options.url,
    ];
    const output = await new Promise<string>((resolve, reject) =>
      execFile("h2load", args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
        error ? reject(new Error(`h2load failed: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
    const seconds = Number(/finished in ([\d.]+)s/.exec(output)?.[1] ?? options.durationMs / 1000);
    const latency = new Samples();
    let failures = 0;
    let responses = 0;
    for (const line of readFileSync(log, "utf8").split("\n")) {
      const [, status, micros] = line.split("\t");
      if (status === undefined || micros === undefined) continue;
      responses++;
      if (status === "200") latency.add(Number(micros) / 1000);
      else failures++;
    }
    const errored = Number(/(\d+) errored/.exec(output)?.[1] ?? 0);
    const timedOut = Number(/(\d+) timeout/.exec(output)?.[1] ?? 0);
    return {
      responses,
      failures,
      errors: errored + timedOut,
      seconds,
      rate: latency.count / seconds,
      latency: latency.summary(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
