import { gunzipSync } from "node:zlib";
import {
  create,
  type DescMessage,
  fromBinary,
  fromJsonString,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import {
  DeleteRequestSchema,
  FinishBatchRequestSchema,
  FinishRequestSchema,
  GetRequestSchema,
  PopBatchRequestSchema,
  PopRequestSchema,
  PushBatchRequestSchema,
  PushBatchResponseSchema,
  PushRequestSchema,
  ReleaseRequestSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";
import { HealthCheckRequestSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflectionRequestSchema } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import type { Rng } from "./prng.js";

/** Topics the fuzzers push to and pop from. */
export const fuzzTopics = ["fz-a", "fz-b", "fz-c"] as const;

/** One RPC to throw inputs at, with a valid request to start from. */
export interface RpcTarget {
  path: string;
  schema: DescMessage;
  /** Only for gRPC: a client stream (reflection) that Connect and HTTP/1.1 cannot carry. */
  grpcOnly?: boolean;
  valid(rng: Rng): Record<string, unknown>;
}

const service = "/delayqueue.v1.DelayQueueService";
const someId = (rng: Rng) => `id-${rng.int(40)}`;
const popTimeout = (rng: Rng) => rng.pick([0, 0.1, 0.3]);
/** One job four times in ten; else two to five, where an id may come twice in one batch. */
const batchSize = (rng: Rng) => (rng.chance(0.4) ? 1 : 2 + rng.int(4));

const validPush = (rng: Rng) => ({
  topic: rng.pick(fuzzTopics),
  id: someId(rng),
  delay: rng.pick([0, 0.05, 3600]),
  ttr: rng.pick([0.5, 30]),
  body: rng.pick(["", "body", "é😀"]),
  ifAbsent: rng.chance(0.3),
});

/** Every DelayQueueService method, health Check and reflection. */
export const rpcTargets: readonly RpcTarget[] = [
  { path: `${service}/Push`, schema: PushRequestSchema, valid: validPush },
  {
    path: `${service}/Pop`,
    schema: PopRequestSchema,
    valid: (rng) => ({ topics: [rng.pick(fuzzTopics)], timeout: popTimeout(rng) }),
  },
  {
    path: `${service}/PushBatch`,
    schema: PushBatchRequestSchema,
    valid: (rng) => ({ jobs: Array.from({ length: batchSize(rng) }, () => validPush(rng)) }),
  },
  {
    path: `${service}/PopBatch`,
    schema: PopBatchRequestSchema,
    valid: (rng) => ({
      topics: Array.from({ length: 1 + rng.int(fuzzTopics.length) }, () => rng.pick(fuzzTopics)),
      timeout: popTimeout(rng),
      max: 1 + rng.int(20),
    }),
  },
  {
    path: `${service}/FinishBatch`,
    schema: FinishBatchRequestSchema,
    valid: (rng) => ({
      jobs: Array.from({ length: batchSize(rng) }, () =>
        rng.chance(0.3) ? { id: someId(rng), token: `t-${rng.int(5)}` } : { id: someId(rng) },
      ),
    }),
  },
  { path: `${service}/Finish`, schema: FinishRequestSchema, valid: (rng) => ({ id: someId(rng) }) },
  {
    path: `${service}/Release`,
    schema: ReleaseRequestSchema,
    valid: (rng) => ({ id: someId(rng), delay: rng.pick([0, 1]) }),
  },
  { path: `${service}/Delete`, schema: DeleteRequestSchema, valid: (rng) => ({ id: someId(rng) }) },
  { path: `${service}/Get`, schema: GetRequestSchema, valid: (rng) => ({ id: someId(rng) }) },
  {
    path: "/grpc.health.v1.Health/Check",
    schema: HealthCheckRequestSchema,
    valid: (rng) => ({ service: rng.pick(["", "delayqueue.v1.DelayQueueService", "nope"]) }),
  },
  {
    path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    schema: ServerReflectionRequestSchema,
    grpcOnly: true,
    valid: (rng) =>
      rng.chance(0.5)
        ? { listServices: "" }
        : { fileContainingSymbol: rng.pick(["delayqueue.v1.DelayQueueService", "no.Such"]) },
  },
];

/** The canonical JSON and the binary form of a valid request of `target`. */
export function encodings(
  target: RpcTarget,
  rng: Rng,
): { json: Record<string, unknown>; binary: Uint8Array } {
  const message = create(target.schema, target.valid(rng) as never);
  return {
    json: toJson(target.schema, message) as Record<string, unknown>,
    binary: toBinary(target.schema, message),
  };
}

/** A message as it went over the wire: its bytes, and how they are encoded. */
export interface WireMessage {
  bytes: Uint8Array;
  json: boolean;
  gzip: boolean;
}

/**
 * Decodes a message as the server decodes a request, and a client the answer
 * (binary, or JSON with unknown fields ignored, gzip undone when `gzip`);
 * undefined when it cannot be decoded.
 */
function decodeMessage<Desc extends DescMessage>(
  schema: Desc,
  { bytes, json, gzip }: WireMessage,
): MessageShape<Desc> | undefined {
  try {
    const plain = gzip ? gunzipSync(bytes) : bytes;
    if (!json) return fromBinary(schema, plain);
    return fromJsonString(schema, new TextDecoder().decode(plain), { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/**
 * The jobs a call to `path` that succeeded wrote, for `FuzzTally.ackPush`:
 * Push's job, PushBatch's jobs but those its response reports refused
 * (`if_absent` on an existing id writes nothing), none for other methods.
 * A string, to fail the case with, when a success cannot be explained: a
 * message that does not unframe or decode (undefined: did not unframe), or
 * results that do not match the jobs.
 */
export function pushedJobs(
  path: string,
  request: WireMessage | undefined,
  response: WireMessage | undefined,
): { id: string; topic: string }[] | string {
  if (path.endsWith("/Push")) {
    const job = request && decodeMessage(PushRequestSchema, request);
    return job ? [job] : "a push succeeded that cannot be decoded";
  }
  if (!path.endsWith("/PushBatch")) return [];
  const batch = request && decodeMessage(PushBatchRequestSchema, request);
  if (!batch) return "a push batch succeeded that cannot be decoded";
  const answer = response && decodeMessage(PushBatchResponseSchema, response);
  if (!answer) return "a push batch succeeded with an answer that cannot be decoded";
  if (answer.results.length !== batch.jobs.length) {
    return `a push batch of ${batch.jobs.length} jobs got ${answer.results.length} results`;
  }
  return batch.jobs.filter((_, i) => !answer.results[i]?.refused);
}

/**
 * The single message of well-formed gRPC framing, with its compressed flag;
 * else undefined. As connect-es reads a request frame, flag bits other than
 * "compressed" (0x01) are ignored, but for gRPC-web's trailer bit (0x80).
 */
export function unframe(
  bytes: Buffer,
  web: boolean,
): { payload: Buffer; compressed: boolean } | undefined {
  if (bytes.length < 5) return undefined;
  const length = bytes.readUInt32BE(1);
  const flags = bytes[0] ?? 0;
  if ((web && (flags & 0x80) !== 0) || bytes.length !== 5 + length) return undefined;
  return { payload: bytes.subarray(5), compressed: (flags & 0x01) !== 0 };
}

/**
 * The message of a successful gRPC answer's body, as {@link unframe} reads
 * it; on gRPC-web the trailer frame that follows it is left aside.
 */
export function unframeAnswer(
  body: Buffer,
  web: boolean,
): { payload: Buffer; compressed: boolean } | undefined {
  if (!web || body.length < 5) return unframe(body, web);
  return unframe(body.subarray(0, 5 + body.readUInt32BE(1)), web);
}
