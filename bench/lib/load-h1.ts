import autocannon from "autocannon";
import { Samples, type Summary } from "./stats.js";

/** What one closed-loop load run measured. */
export interface LoadResult {
  /** Responses received (any status). */
  responses: number;
  /** Responses that were not a success (HTTP status, envelope code, gRPC status). */
  failures: number;
  /** Connection errors and timeouts. */
  errors: number;
  seconds: number;
  /** Successful responses per second. */
  rate: number;
  /** Latency of successful responses, ms. */
  latency: Summary;
  /** The same per request of the sequence (pop, finish), when the generator tells them apart. */
  byRequest?: Summary[];
  /** The first failing response body, to show what went wrong. */
  sample?: string;
}

/** Counts a generator kept while it ran. */
export interface LoadCounts {
  responses: number;
  failures: number;
  errors: number;
  sample: string | undefined;
}

/** The {@link LoadResult} of a run that started at `startedMs` (`performance.now()`) and ended at `endedMs`. */
export function loadResult(
  counts: LoadCounts,
  latency: Samples,
  startedMs: number,
  endedMs = performance.now(),
  byRequest?: Samples[],
): LoadResult {
  const seconds = (endedMs - startedMs) / 1000;
  return {
    responses: counts.responses,
    failures: counts.failures,
    errors: counts.errors,
    seconds,
    rate: latency.count / seconds,
    latency: latency.summary(),
    ...(byRequest ? { byRequest: byRequest.map((samples) => samples.summary()) } : {}),
    ...(counts.sample !== undefined ? { sample: counts.sample } : {}),
  };
}

/** One request of a sequence, as autocannon takes it. */
export interface H1Request {
  path: string;
  headers?: Record<string, string>;
  /** Builds the body of each request (unique ids and the like); `undefined` restarts the sequence. */
  body: (context: Record<string, unknown>) => string | Buffer | undefined;
  /** Checks the response: false counts a failure. May record what it needs in `context`. */
  check?: (status: number, body: string, context: Record<string, unknown>) => boolean;
}

export interface H1Options {
  /** Base URL, e.g. `http://127.0.0.1:9277`. */
  url: string;
  connections: number;
  /** Stop after this long, ms (or after `amount` responses, or when `until()` says so). */
  durationMs: number;
  amount?: number;
  /** Requests sent in order on each connection, over and over. */
  requests: H1Request[];
  /** Checked after every response; true stops the run. */
  until?: () => boolean;
}

/**
 * Closed-loop HTTP/1.1 load with autocannon: `connections` keep-alive
 * connections, one request in flight on each (no pipelining), bodies built
 * per request. Latency is timed per response in µs (autocannon's own
 * histogram rounds to whole ms).
 */
export async function runH1(options: H1Options): Promise<LoadResult> {
  const latency = new Samples();
  let failures = 0;
  let sample: string | undefined;
  const fail = (body: string) => {
    failures++;
    sample ??= body.slice(0, 300);
  };
  const perRequest = options.requests.map(() => new Samples());
  let last = 0;
  const requests: autocannon.Request[] = options.requests.map((request, index) => ({
    method: "POST",
    path: request.path,
    headers: { "content-type": "application/json", ...request.headers },
    setupRequest: (req: autocannon.Request, context: object) => {
      const body = request.body(context as Record<string, unknown>);
      // Falsy restarts the sequence from its first request (autocannon's rule).
      if (body === undefined) return undefined as unknown as autocannon.Request;
      return { ...req, body };
    },
    onResponse: (status: number, body: string, context: object) => {
      const checked =
        !request.check || request.check(status, body, context as Record<string, unknown>);
      if (status !== 200 || !checked) fail(body);
      else ok = true;
      last = index;
    },
  }));
  let ok = false;
  const started = performance.now();
  let done: (result: autocannon.Result) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      pipelining: 1,
      duration: Math.max(1, Math.ceil(options.durationMs / 1000)),
      ...(options.amount !== undefined ? { amount: options.amount } : {}),
      requests,
      timeout: 30,
      sampleInt: 20,
    },
    (error, result) => (error ? failed(error) : done(result)),
  );
  // autocannon acts on stop() at its next sample tick (sampleInt): time the run to the
  // stop request, and ignore what still arrives after it.
  let endedAt: number | undefined;
  let responses = 0;
  const stop = () => {
    endedAt ??= performance.now();
    instance.stop();
  };
  const stopAt = setTimeout(stop, options.durationMs);
  instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    if (endedAt !== undefined) return;
    responses++;
    if (ok) {
      latency.add(ms);
      perRequest[last]?.add(ms);
    }
    ok = false;
    if (options.until?.()) stop();
  });
  const result = await finished;
  clearTimeout(stopAt);
  return loadResult(
    { responses, failures, errors: result.errors + result.timeouts, sample },
    latency,
    started,
    endedAt,
    perRequest,
  );
}
