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
  FinishRequestSchema,
  GetRequestSchema,
  PopRequestSchema,
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

/** Every single-job DelayQueueService method, health Check and reflection (the batch RPCs are not fuzzed yet). */
export const rpcTargets: readonly RpcTarget[] = [
  {
    path: `${service}/Push`,
    schema: PushRequestSchema,
    valid: (rng) => ({
      topic: rng.pick(fuzzTopics),
      id: someId(rng),
      delay: rng.pick([0, 0.05, 3600]),
      ttr: rng.pick([0.5, 30]),
      body: rng.pick(["", "body", "é😀"]),
      ifAbsent: rng.chance(0.3),
    }),
  },
  {
    path: `${service}/Pop`,
    schema: PopRequestSchema,
    valid: (rng) => ({ topics: [rng.pick(fuzzTopics)], timeout: rng.pick([0, 0.1, 0.3]) }),
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

/**
 * Decodes a request as the server would (binary, or JSON with unknown fields
 * ignored, gzip undone when `gzip`); undefined when it cannot be decoded.
 */
export function decodeRequest<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  json: boolean,
  gzip = false,
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
