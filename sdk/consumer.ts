import { Code, ConnectError } from "@connectrpc/connect";
import { type BackoffOptions, backoffDelay, pause } from "./backoff.js";
import type { DelayQueueClient } from "./core.js";
import type { Job } from "./types.js";

/** What a handler gets besides the job. */
export interface HandlerContext {
  /**
   * Aborts when the job's ttr has run out (counted from when the pop
   * answered): the server may already have handed the job to another
   * consumer, so a long handler should give up. `stop()` does not abort it.
   */
  signal: AbortSignal;
}

/**
 * Handles one job. Resolving finishes the job; throwing (or rejecting)
 * releases it so that it is ready again at once.
 */
export type JobHandler = (job: Job, context: HandlerContext) => Promise<void> | void;

/**
 * Options of {@link consume}.
 *
 * A handler that runs past the job's ttr may see the job handed out again
 * (to this or another consumer) while it runs: delivery is at least once.
 * Its finish, sent with the hand-out's token, then reports `finished: false`
 * and leaves the new hand-out alone; the consumer treats that as done.
 */
export interface ConsumerOptions {
  /** Topics to pop from, in order of preference (1–64). */
  topics: readonly string[];
  /** Runs for each popped job; see {@link JobHandler}. */
  handler: JobHandler;
  /**
   * Pop loops side by side, hence handlers running at once (at most).
   * @defaultValue `1`
   */
  concurrency?: number;
  /**
   * Long-poll wait of each pop, seconds (0–180).
   * @defaultValue `30`
   */
  pollTimeout?: number;
  /**
   * Wait after a failed pop (server down, Redis down, …) before the next;
   * it doubles with each failure in a row.
   * @defaultValue `{ initialMs: 100, maxMs: 5000 }`
   */
  backoff?: BackoffOptions;
  /**
   * Called with every error the consumer survives: a failed pop (then it
   * backs off and polls again), a handler that threw (`job` given; the job
   * was released), a failed finish or release (`job` given; the job comes
   * back after its ttr). Not awaited. Throwing from it ends the consumer:
   * `done` rejects with what it threw.
   * @defaultValue report to `console.error`
   */
  onError?: (error: unknown, job?: Job) => void;
}

/** A running consumer, from {@link consume}. */
export interface Consumer {
  /**
   * Stops gracefully: no new pops (parked pops are cancelled, so it is
   * prompt; a cancelled pop takes no job), then waits for running handlers,
   * whose jobs are finished (or released) as usual. Resolves once every
   * loop has ended; never rejects (see `done`). Safe to call twice.
   *
   * One race is left to the server: a job it handed out in the very instant
   * the pop was cancelled never reaches this consumer; it is not lost, but
   * comes back after its ttr.
   */
  stop(): Promise<void>;
  /**
   * Settles when the consumer has ended: resolves after `stop()`; rejects
   * when a pop fails in a way retrying cannot fix (`invalid_argument`,
   * `unauthenticated`, `permission_denied`, `unimplemented`) or `onError`
   * throws, after the running handlers are done. Attach to it, or an
   * ending by error surfaces as an unhandled rejection.
   */
  readonly done: Promise<void>;
}

/** Pop errors that a retry cannot fix: they end the consumer. */
const fatalCodes = new Set([
  Code.InvalidArgument,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.Unimplemented,
]);

const reportToConsole = (error: unknown, job?: Job): void => {
  console.error(`delay-queue consumer${job ? ` (job ${job.id})` : ""}:`, error);
};

/**
 * Consumes `topics` with `concurrency` loops, each popping one job at a time
 * (long poll of `pollTimeout` s) and running `handler` on it.
 *
 * - Handler resolves: the job is finished (with its token), once.
 * - Handler throws: the job is released (with its token) and is ready again
 *   at once; that hand-out still counts in its `attempts`. A failed job is
 *   never finished.
 * - A job whose finish or release fails comes back after its ttr.
 *
 * @example
 * ```ts
 * const consumer = consume(client, {
 *   topics: ["mail"],
 *   concurrency: 4,
 *   handler: async (job, { signal }) => send(JSON.parse(job.body), { signal }),
 * });
 * process.once("SIGTERM", () => void consumer.stop());
 * await consumer.done;
 * ```
 */
export function consume(client: DelayQueueClient, options: ConsumerOptions): Consumer {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`consume(): concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }
  const pollTimeout = options.pollTimeout ?? 30;
  const onError = options.onError ?? reportToConsole;
  // One controller per loop, so no signal gathers more listeners than Node allows silently.
  const polls = Array.from({ length: concurrency }, () => new AbortController());
  let stopping = false;
  let failure: { error: unknown } | undefined;

  const stopPolling = () => {
    stopping = true;
    for (const poll of polls) poll.abort();
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    stopPolling();
  };
  const report = (error: unknown, job?: Job) => {
    try {
      onError(error, job);
    } catch (thrown) {
      fail(thrown);
    }
  };

  const handle = async (job: Job) => {
    const expired = new AbortController();
    const timer = setTimeout(
      () => expired.abort(new ConnectError(`ttr of job ${job.id} ran out`, Code.DeadlineExceeded)),
      job.ttr * 1000,
    );
    let handlerError: { error: unknown } | undefined;
    try {
      await options.handler(job, { signal: expired.signal });
    } catch (error) {
      handlerError = { error };
    } finally {
      clearTimeout(timer);
    }
    let settleError: { error: unknown } | undefined;
    try {
      if (handlerError) await client.release({ id: job.id, token: job.token });
      else await client.finish({ id: job.id, token: job.token });
    } catch (error) {
      settleError = { error };
    }
    // Reported once the job is settled, so that an onError that throws cannot strand it.
    if (handlerError) report(handlerError.error, job);
    if (settleError) report(settleError.error, job);
  };

  const loop = async (poll: AbortController) => {
    let failures = 0;
    while (!stopping) {
      let job: Job | undefined;
      try {
        job = await client.pop(
          { topics: options.topics, timeout: pollTimeout },
          { signal: poll.signal },
        );
        failures = 0;
      } catch (error) {
        if (stopping) return;
        if (error instanceof ConnectError && fatalCodes.has(error.code)) return fail(error);
        report(error);
        await pause(backoffDelay(failures++, options.backoff), poll.signal);
        continue;
      }
      // A job that arrived is handled even when stop() came meanwhile: nothing is dropped.
      if (job) await handle(job);
    }
  };

  const ended = Promise.all(polls.map(loop)).then(() => undefined);
  const done = ended.then(() => {
    if (failure) throw failure.error;
  });
  return {
    done,
    stop() {
      stopPolling();
      return ended;
    },
  };
}
