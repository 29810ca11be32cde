import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const health = () => createClient(Health, createGrpcTransport({ baseUrl: dq.url }));

describe("grpc.health.v1", () => {
  it.each(["", "delayqueue.v1.DelayQueueService"])(
    "answers Check for %j with SERVING while Redis answers",
    async (service) => {
      expect((await health().check({ service })).status).toBe(Status.SERVING);
    },
  );

  it("answers Check for an unknown service with not_found", async () => {
    const error = await health()
      .check({ service: "no.Such" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });

  // Found by the gRPC fuzzer (FUZZ_SEED=1416049325, case #1634): the name quoted in full made a
  // grpc-message trailer too big for HTTP/2, and the stream was reset without a status.
  it("answers Check for an unknown service with a 70 000-character name with not_found", async () => {
    const error = await health()
      .check({ service: "x".repeat(70_000) })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });

  it("answers Watch once, then holds the stream until the client leaves", async () => {
    const controller = new AbortController();
    const statuses: Status[] = [];
    const watching = (async () => {
      for await (const answer of health().watch({}, { signal: controller.signal })) {
        statuses.push(answer.status);
      }
    })().catch((e: unknown) => ConnectError.from(e));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statuses).toEqual([Status.SERVING]);
    controller.abort();
    expect(((await watching) as ConnectError).code).toBe(Code.Canceled);
  });

  it("answers Watch for an unknown service with SERVICE_UNKNOWN", async () => {
    const controller = new AbortController();
    for await (const answer of health().watch(
      { service: "no.Such" },
      { signal: controller.signal },
    )) {
      expect(answer.status).toBe(Status.SERVICE_UNKNOWN);
      controller.abort();
      break;
    }
  });
});
