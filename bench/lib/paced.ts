import http from "node:http";
import { type LoadResult, loadResult } from "./load-h1.js";
import { Samples } from "./stats.js";

export interface PacedOptions {
  /** Calls per second, spread evenly (open loop: a slow reply does not slow the pace). */
  rate: number;
  durationMs: number;
  /** Most calls in flight; past it, calls wait (and count as late starts). */
  maxInFlight?: number;
  /** One call; resolves false for a failure. */
  call: (n: number) => Promise<boolean>;
}

const TICK_MS = 2;

/**
 * Open-loop load at a fixed rate, for steady states: autocannon's own rate
 * limit sends each second's quota in a burst at the start of the second.
 */
export async function runPaced(options: PacedOptions): Promise<LoadResult> {
  const latency = new Samples();
  const maxInFlight = options.maxInFlight ?? 256;
  let started = 0;
  let responses = 0;
  let failures = 0;
  let errors = 0;
  let inFlight = 0;
  let sample: string | undefined;
  const t0 = performance.now();
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const pending = new Set<Promise<void>>();
  const fire = (n: number) => {
    inFlight++;
    const sentAt = performance.now();
    const p = options
      .call(n)
      .then(
        (ok) => {
          responses++;
          if (ok) latency.add(performance.now() - sentAt);
          else failures++;
        },
        (error: unknown) => {
          errors++;
          sample ??= String(error);
        },
      )
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };
  while (started < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * options.rate) / 1000));
    while (started < due && inFlight < maxInFlight) fire(started++);
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all([...pending]);
  return loadResult({ responses, failures, errors, sample }, latency, t0);
}

/** A keep-alive HTTP/1.1 POST client (node:http) for paced calls. */
export function httpPoster(baseUrl: string, sockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const url = new URL(baseUrl);
  return {
    post(
      path: string,
      body: string | Buffer,
      contentType: string,
    ): Promise<{ status: number; body: Buffer }> {
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: "POST",
            agent,
            headers: { "content-type": contentType, "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }),
            );
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
