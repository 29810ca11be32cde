import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type DelayQueueService,
  type DeleteRequest,
  type DeleteResponse,
  DeleteResponseSchema,
  type FinishBatchRequest,
  type FinishBatchResponse,
  FinishBatchResponseSchema,
  type FinishRequest,
  type FinishResponse,
  FinishResponseSchema,
  type GetRequest,
  type GetResponse,
  GetResponseSchema,
  type Job as JobMessage,
  JobState,
  type PopBatchRequest,
  type PopBatchResponse,
  PopBatchResponseSchema,
  type PopRequest,
  type PopResponse,
  PopResponseSchema,
  type PushBatchRequest,
  type PushBatchResponse,
  type PushBatchResult,
  type PushRequest,
  type PushResponse,
  PushResponseSchema,
  type ReleaseRequest,
  type ReleaseResponse,
  ReleaseResponseSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";
import type { DelayQueue, Job, ReservedJob, StopSignal } from "../queue/index.js";
import { msToSeconds, secondsToMs, timestampLiteral } from "./durations.js";
import { toConnectError } from "./errors.js";

const states = {
  delayed: JobState.DELAYED,
  ready: JobState.READY,
  reserved: JobState.RESERVED,
} as const;

/** A Job message, built as a literal: pops and batches make many, and `create()` walks the schema. */
function toMessage(job: Job | ReservedJob): JobMessage {
  return {
    $typeName: "delayqueue.v1.Job",
    topic: job.topic,
    id: job.id,
    body: job.body.toString("utf8"),
    state: states[job.state],
    delay: msToSeconds(job.dueAt - job.pushedAt),
    ttr: msToSeconds(job.ttrMs),
    attempts: job.attempts,
    dueTime: timestampLiteral(job.dueAt),
    reservedUntil:
      job.reservedUntil === undefined ? undefined : timestampLiteral(job.reservedUntil),
    pushTime: timestampLiteral(job.pushedAt),
    token: "token" in job ? job.token : "",
  };
}

/**
 * A wait cut short by the caller's deadline ends as `deadline_exceeded`, not as "no job":
 * the RPC handlers abort `signal` with that ConnectError when the deadline passes.
 */
function throwIfDeadline(signal: StopSignal | undefined): void {
  const reason: unknown = signal?.reason;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) throw reason;
}

/**
 * The rules of the API, once, for every way in: the RPC handlers and the
 * legacy JSON routes both call these methods. Each throws a ConnectError.
 */
export class DelayQueueRpc {
  constructor(private readonly queue: DelayQueue) {}

  push(req: PushRequest): Promise<PushResponse> {
    return this.call(async () => {
      const result = await this.queue.push({
        topic: req.topic,
        id: req.id,
        body: req.body,
        delayMs: secondsToMs("delay", req.delay),
        ttrMs: secondsToMs("ttr", req.ttr),
        ifAbsent: req.ifAbsent,
      });
      return create(PushResponseSchema, {
        dueTime: timestampLiteral(result.dueAt),
        replaced: result.replaced,
      });
    });
  }

  pushBatch(req: PushBatchRequest): Promise<PushBatchResponse> {
    return this.call(async () => {
      const results = await this.queue.pushMany(
        req.jobs.map((job, i) => ({
          topic: job.topic,
          id: job.id,
          body: job.body,
          // Field names are built only for an error: a batch may hold thousands of jobs.
          delayMs: secondsToMs(() => `jobs[${i}].delay`, job.delay),
          ttrMs: secondsToMs(() => `jobs[${i}].ttr`, job.ttr),
          ifAbsent: job.ifAbsent,
        })),
      );
      // Literals rather than create(): the same messages without a schema walk per job.
      return {
        $typeName: "delayqueue.v1.PushBatchResponse",
        results: results.map(
          (r): PushBatchResult => ({
            $typeName: "delayqueue.v1.PushBatchResult",
            dueTime: r.refused ? undefined : timestampLiteral(r.dueAt),
            replaced: r.replaced,
            refused: r.refused,
          }),
        ),
      };
    });
  }

  popBatch(req: PopBatchRequest, signal?: StopSignal): Promise<PopBatchResponse> {
    return this.call(async () => {
      const jobs = await this.queue.popMany(req.topics, req.max, {
        timeoutMs: secondsToMs("timeout", req.timeout),
        signal,
      });
      if (jobs.length === 0) throwIfDeadline(signal);
      return create(PopBatchResponseSchema, { jobs: jobs.map(toMessage) });
    });
  }

  pop(req: PopRequest, signal?: StopSignal): Promise<PopResponse> {
    return this.call(async () => {
      const job = await this.queue.pop(req.topics, {
        timeoutMs: secondsToMs("timeout", req.timeout),
        signal,
      });
      if (!job) throwIfDeadline(signal);
      return create(PopResponseSchema, job ? { job: toMessage(job) } : {});
    });
  }

  finish(req: FinishRequest): Promise<FinishResponse> {
    return this.call(async () => {
      const result = await this.queue.finish(req.id, req.token);
      return create(FinishResponseSchema, { finished: result === "done" });
    });
  }

  finishBatch(req: FinishBatchRequest): Promise<FinishBatchResponse> {
    return this.call(async () => {
      // The engine answers an empty list with no results; the API asks for a job, as PushBatch does.
      if (req.jobs.length === 0) {
        throw new ConnectError("at least one job is required", Code.InvalidArgument);
      }
      const results = await this.queue.finishMany(req.jobs);
      return create(FinishBatchResponseSchema, { finished: results.map((r) => r === "done") });
    });
  }

  release(req: ReleaseRequest): Promise<ReleaseResponse> {
    return this.call(async () => {
      const result = await this.queue.release(req.id, {
        token: req.token,
        delayMs: secondsToMs("delay", req.delay),
      });
      if (result === "not_found")
        throw new ConnectError(`no job with id "${req.id}"`, Code.NotFound);
      if (result === "not_reserved") {
        throw new ConnectError(
          `job "${req.id}" is not reserved${req.token ? " by that token" : ""}`,
          Code.FailedPrecondition,
        );
      }
      return create(ReleaseResponseSchema, {});
    });
  }

  delete(req: DeleteRequest): Promise<DeleteResponse> {
    return this.call(async () =>
      create(DeleteResponseSchema, { deleted: await this.queue.delete(req.id) }),
    );
  }

  get(req: GetRequest): Promise<GetResponse> {
    return this.call(async () => {
      const job = await this.queue.get(req.id);
      if (!job) throw new ConnectError(`no job with id "${req.id}"`, Code.NotFound);
      return create(GetResponseSchema, { job: toMessage(job) });
    });
  }

  /** The Connect implementation of DelayQueueService over these methods. */
  implementation(): ServiceImpl<typeof DelayQueueService> {
    return {
      push: (req) => this.push(req),
      pop: (req, context) => this.pop(req, context.signal),
      pushBatch: (req) => this.pushBatch(req),
      popBatch: (req, context) => this.popBatch(req, context.signal),
      finishBatch: (req) => this.finishBatch(req),
      finish: (req) => this.finish(req),
      release: (req) => this.release(req),
      delete: (req) => this.delete(req),
      get: (req) => this.get(req),
    };
  }

  private async call<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw toConnectError(error);
    }
  }
}
