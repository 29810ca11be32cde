import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  DeleteRequestSchema,
  FinishRequestSchema,
  GetRequestSchema,
  PopRequestSchema,
  PushRequestSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";
import type { StopSignal } from "../queue/index.js";
import type { DelayQueueRpc } from "../service/index.js";
import {
  type Fields,
  LegacyInputError,
  secondsField,
  stringField,
  topicList,
  wholeSecondsField,
} from "./legacy-input.js";

/** The Go service's response envelope, always sent with HTTP 200. */
export interface Envelope {
  /** 0 on success, 1 on any failure (the Go service's only failure code). */
  code: 0 | 1;
  message: string;
  data: unknown;
}

export const ok = (data: unknown = null): Envelope => ({ code: 0, message: "ok", data });
export const failure = (message: string): Envelope => ({ code: 1, message, data: null });

/** One legacy route's work: the request's JSON object in, the envelope's `data` out. */
export interface LegacyAction {
  run(fields: Fields, signal?: StopSignal): Promise<unknown>;
  /** Waits for a job, so it must stop when the client leaves. */
  readonly longPoll: boolean;
}

/** The legacy paths, each with its action. */
export type LegacyActions = ReadonlyMap<string, LegacyAction>;

/**
 * `/push /pop /finish /delete /get`: each builds the RPC's request message
 * and calls the same {@link DelayQueueRpc} method as the RPC does, so both
 * ways in share every rule. Both the fastify routes and the legacy fast path
 * serve these.
 */
export function legacyActions(rpc: DelayQueueRpc, popTimeoutSeconds: number): LegacyActions {
  const action = (run: LegacyAction["run"], longPoll = false): LegacyAction => ({ run, longPoll });
  return new Map([
    [
      "/push",
      action(async (fields) => {
        await rpc.push(
          create(PushRequestSchema, {
            topic: stringField(fields, "topic"),
            id: stringField(fields, "id"),
            delay: wholeSecondsField(fields, "delay"),
            ttr: wholeSecondsField(fields, "ttr"),
            // The Go service took a missing body as "".
            body: stringField(fields, "body", ""),
          }),
        );
        return null;
      }),
    ],
    [
      "/pop",
      action(async (fields, signal) => {
        const request = create(PopRequestSchema, {
          topics: topicList(fields),
          timeout: secondsField(fields, "timeout", popTimeoutSeconds),
        });
        const { job } = await rpc.pop(request, signal);
        return job ? { id: job.id, body: job.body, topic: job.topic } : null;
      }, true),
    ],
    [
      "/finish",
      action(async (fields) => {
        await rpc.finish(create(FinishRequestSchema, { id: stringField(fields, "id") }));
        return null;
      }),
    ],
    [
      "/delete",
      action(async (fields) => {
        await rpc.delete(create(DeleteRequestSchema, { id: stringField(fields, "id") }));
        return null;
      }),
    ],
    ["/get", action((fields) => get(rpc, fields))],
  ]);
}

async function get(rpc: DelayQueueRpc, fields: Fields): Promise<unknown> {
  try {
    const { job } = await rpc.get(create(GetRequestSchema, { id: stringField(fields, "id") }));
    if (!job) return null;
    return {
      topic: job.topic,
      id: job.id,
      // The Go service's `delay` in a stored job is its due time, unix seconds.
      delay: job.dueTime ? Math.floor(timestampMs(job.dueTime) / 1000) : 0,
      // Whole seconds as the legacy API speaks them; an RPC-pushed 0.5 s reads as 1.
      ttr: Math.ceil(job.ttr),
      body: job.body,
    };
  } catch (error) {
    // The Go service answers an unknown id with data null, not a failure.
    if (error instanceof ConnectError && error.code === Code.NotFound) return null;
    throw error;
  }
}

const serverFaults = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** A failure as the fastify error handler sees it: maybe with an HTTP status and a code. */
export type RouteError = Error & { statusCode?: number; code?: string };

/** True for failures the caller did not cause (and that a Redis outage does not explain). */
export function isServerFault(error: RouteError): boolean {
  const thrown: unknown = error;
  if (thrown instanceof ConnectError) return serverFaults.has(thrown.code);
  if (error instanceof LegacyInputError) return false;
  return (error.statusCode ?? 500) >= 500;
}

/** The envelope's `message` for a failure: the caller's mistake in words, a fault as "internal error". */
export function errorMessage(error: RouteError, bodyLimit: number): string {
  const thrown: unknown = error;
  if (thrown instanceof ConnectError) return thrown.rawMessage;
  if (error instanceof LegacyInputError) return error.message;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return `request body is larger than ${bodyLimit} bytes`;
  }
  if ((error.statusCode ?? 500) < 500) return error.message;
  return "internal error";
}
