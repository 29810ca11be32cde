import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { frame } from "../bench/lib/load-h2.js";
import { finishRequest, popRequest, SERVICE_PATH } from "../bench/lib/messages.js";
import { RawGrpcConnection } from "../bench/lib/raw-grpc.js";
import {
  FinishResponseSchema,
  PopResponseSchema,
  PushRequestSchema,
  PushResponseSchema,
} from "../gen/delayqueue/v1/delay_queue_pb.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const grpc = (message: Uint8Array) => frame(message, "grpc");

describe("the bench's raw gRPC client", () => {
  it("pushes, pops and finishes against the server, many calls in flight", async () => {
    const connection = new RawGrpcConnection(dq.url);
    await connection.ready;
    const ids = Array.from({ length: 300 }, (_, i) => `raw-${i}`);
    const pushes = await Promise.all(
      ids.map((id) =>
        connection.call(
          `${SERVICE_PATH}/Push`,
          grpc(
            toBinary(
              PushRequestSchema,
              create(PushRequestSchema, { topic: "raw", id, ttr: 30, body: `b-${id}` }),
            ),
          ),
        ),
      ),
    );
    expect(pushes.every((reply) => reply.ok)).toBe(true);
    expect(
      fromBinary(PushResponseSchema, pushes[0]?.message ?? new Uint8Array()).dueTime,
    ).toBeDefined();

    const pops = await Promise.all(
      ids.map(() => connection.call(`${SERVICE_PATH}/Pop`, grpc(popRequest(["raw"], 0)))),
    );
    const popped = pops.map((reply) => fromBinary(PopResponseSchema, reply.message).job);
    expect(popped.map((job) => job?.id).sort()).toEqual([...ids].sort());
    expect(popped.every((job) => job?.body === `b-${job?.id}`)).toBe(true);

    const finishes = await Promise.all(
      popped.map((job) =>
        connection.call(`${SERVICE_PATH}/Finish`, grpc(finishRequest(job?.id ?? ""))),
      ),
    );
    expect(
      finishes.every((r) => r.ok && fromBinary(FinishResponseSchema, r.message).finished),
    ).toBe(true);
    expect(await dq.server.queue.get("raw-0")).toBeNull();
    connection.close();
  });

  it("reports an error status as a failed call, and keeps the connection", async () => {
    const connection = new RawGrpcConnection(dq.url);
    await connection.ready;
    const bad = await connection.call(`${SERVICE_PATH}/Finish`, grpc(finishRequest("")));
    expect(bad.ok).toBe(false);
    const empty = await connection.call(`${SERVICE_PATH}/Pop`, grpc(popRequest(["raw-none"], 0)));
    expect(empty.ok).toBe(true);
    expect(fromBinary(PopResponseSchema, empty.message).job).toBeUndefined();
    expect(connection.broken).toBe(false);
    connection.close();
    expect(connection.broken).toBe(true);
  });
});
