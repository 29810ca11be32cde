import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type Client,
  Code,
  type CallOptions as ConnectCallOptions,
  ConnectError,
  createClient as createConnectClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { defaultHeaders, headersInterceptor, withDefaultHeaders } from "./headers.js";
import { plainJob } from "./job.js";
import type { BaseClientOptions } from "./options.js";
import type {
  CallOptions,
  DeleteInput,
  DeleteResult,
  FinishInput,
  FinishResult,
  GetInput,
  Job,
  PopBatchInput,
  PopInput,
  PushBatchResult,
  PushInput,
  PushResult,
  ReleaseInput,
} from "./types.js";

/** The generated Connect client of `delayqueue.v1.DelayQueueService`. */
export type RawClient = Client<typeof DelayQueueService>;

/**
 * A typed client of the delay queue. Every method takes a plain object and
 * an optional {@link CallOptions}; durations are seconds (fractions allowed).
 * Every failure rejects with a `ConnectError` carrying the server's code
 * (`invalid_argument`, `already_exists`, `unauthenticated`, `unavailable`, …);
 * none is swallowed, except `not_found` from `get`, which resolves `undefined`.
 */
export interface DelayQueueClient {
  /**
   * Creates a job, or replaces the job with the same id (new topic, body,
   * delay and ttr; attempts back to 0). With `ifAbsent` an existing id is
   * refused with `already_exists` instead.
   */
  push(input: PushInput, options?: CallOptions): Promise<PushResult>;
  /**
   * Reserves the oldest ready job of the first topic (in the order given)
   * that has one, waiting up to `timeout` seconds for one to become ready.
   * The job stays reserved for its ttr; finish or release it with its
   * `token`. Resolves `undefined` when no job came in time. A pop that is
   * cancelled (signal, deadline) takes no job.
   */
  pop(input: PopInput, options?: CallOptions): Promise<Job | undefined>;
  /**
   * Pushes up to 10 000 jobs in one call, each as `push` would. One invalid
   * job rejects the whole batch (`invalid_argument`, naming its index) and
   * nothing is written; a job refused by `ifAbsent` is reported in its result.
   */
  pushBatch(inputs: readonly PushInput[], options?: CallOptions): Promise<PushBatchResult[]>;
  /**
   * Like `pop`, for up to `max` jobs in one call; resolves as soon as at
   * least one came (an empty array when none did).
   */
  popBatch(input: PopBatchInput, options?: CallOptions): Promise<Job[]>;
  /** Removes a reserved job: the consumer is done with it. Idempotent. */
  finish(input: FinishInput, options?: CallOptions): Promise<FinishResult>;
  /**
   * Finishes up to 10 000 jobs in one call, each as `finish` would; resolves
   * one `finished` flag per job, in order. Jobs from `popBatch` may be passed
   * as they are: each is finished only under its own hand-out's `token`.
   * Every id is checked first: an invalid one rejects the call
   * (`invalid_argument`, naming its index) and nothing is finished.
   */
  finishBatch(inputs: readonly FinishInput[], options?: CallOptions): Promise<boolean[]>;
  /**
   * Hands a reserved job back before its ttr runs out: ready again at once,
   * or after `delay` seconds. The hand-out still counts in `attempts`.
   */
  release(input: ReleaseInput, options?: CallOptions): Promise<void>;
  /** Removes a job whatever its state. Idempotent. */
  delete(input: DeleteInput, options?: CallOptions): Promise<DeleteResult>;
  /** Reads a job; `undefined` when there is no job with that id. */
  get(input: GetInput, options?: CallOptions): Promise<Job | undefined>;
  /** The generated Connect client over the same transport, for anything the typed methods hide. */
  readonly raw: RawClient;
}

/** Builds a transport from the interceptors the client needs (the default headers, if any). */
export type TransportFactory = (interceptors: Interceptor[]) => Transport;

/**
 * The transport-agnostic client: `createClient` (Node) and `createWebClient`
 * (browsers) differ only in the `makeTransport` they pass. A given
 * `options.transport` is used instead, wrapped to carry the default headers.
 */
export function buildClient(
  options: BaseClientOptions,
  makeTransport: TransportFactory,
): DelayQueueClient {
  const headers = defaultHeaders(options);
  let transport: Transport;
  if (options.transport) {
    transport = headers ? withDefaultHeaders(options.transport, headers) : options.transport;
  } else {
    transport = makeTransport(headers ? [headersInterceptor(headers)] : []);
  }
  return clientOver(createConnectClient(DelayQueueService, transport), options.timeoutMs);
}

function clientOver(raw: RawClient, defaultTimeoutMs: number | undefined): DelayQueueClient {
  /** Connect call options; a default deadline is stretched by `waitSeconds` of long poll. */
  const call = (options: CallOptions | undefined, waitSeconds = 0): ConnectCallOptions => {
    let timeoutMs = options?.timeoutMs;
    if (timeoutMs === undefined && defaultTimeoutMs !== undefined) {
      timeoutMs = defaultTimeoutMs > 0 ? defaultTimeoutMs + waitSeconds * 1000 : defaultTimeoutMs;
    }
    return { signal: options?.signal, timeoutMs, headers: options?.headers };
  };
  return {
    raw,
    async push(input, options) {
      const res = await raw.push(input, call(options));
      return { dueTime: res.dueTime && timestampDate(res.dueTime), replaced: res.replaced };
    },
    async pop(input, options) {
      const { job } = await raw.pop(
        { topics: [...input.topics], timeout: input.timeout },
        call(options, input.timeout),
      );
      return job && plainJob(job);
    },
    async pushBatch(inputs, options) {
      const { results } = await raw.pushBatch({ jobs: [...inputs] }, call(options));
      return results.map((r) => ({
        dueTime: r.dueTime && timestampDate(r.dueTime),
        replaced: r.replaced,
        refused: r.refused,
      }));
    },
    async popBatch(input, options) {
      const { jobs } = await raw.popBatch(
        { topics: [...input.topics], timeout: input.timeout, max: input.max },
        call(options, input.timeout),
      );
      return jobs.map(plainJob);
    },
    async finish(input, options) {
      const { finished } = await raw.finish(input, call(options));
      return { finished };
    },
    async finishBatch(inputs, options) {
      const { finished } = await raw.finishBatch({ jobs: [...inputs] }, call(options));
      return finished;
    },
    async release(input, options) {
      await raw.release(input, call(options));
    },
    async delete(input, options) {
      const { deleted } = await raw.delete(input, call(options));
      return { deleted };
    },
    async get(input, options) {
      try {
        const { job } = await raw.get(input, call(options));
        return job && plainJob(job);
      } catch (error) {
        if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
        throw error;
      }
    },
  };
}
