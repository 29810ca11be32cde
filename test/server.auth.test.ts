import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis, { authTokens: ["old-token", "new-token"] });

const job = { topic: "auth", id: "auth-1", delay: 0, ttr: 30, body: "x" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const connect = () =>
  createClient(DelayQueueService, createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" }));

describe("with auth tokens configured", () => {
  it.each([
    ["no token", {}],
    ["a wrong token", bearer("guess")],
    ["a token without the Bearer scheme", { authorization: "new-token" }],
  ])("refuses an RPC with %s as unauthenticated", async (_name, headers) => {
    const error = await connect()
      .push(job, { headers })
      .catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it.each(["old-token", "new-token"])("accepts an RPC carrying %s", async (token) => {
    await expect(connect().push(job, { headers: bearer(token) })).resolves.toBeDefined();
  });

  it("refuses a legacy call without a token in the envelope, and accepts one with it", async () => {
    const refused = await legacyCall(dq.url, "/push", job);
    expect(refused).toEqual({
      status: 200,
      body: { code: 1, message: "missing or invalid bearer token", data: null },
    });
    const accepted = await legacyCall(dq.url, "/push", job, { headers: bearer("new-token") });
    expect(accepted.body.code).toBe(0);
  });

  it("takes the token from gRPC metadata", async () => {
    const grpc = grpcJsClient(dq.url);
    try {
      const refused = await grpc.get({ id: job.id }).catch((e: { code?: number }) => e);
      expect((refused as { code?: number }).code).toBe(16);
      const answer = await grpc.get({ id: job.id }, { metadata: bearer("old-token") });
      expect(answer.job?.id).toBe(job.id);
    } finally {
      grpc.close();
    }
  });

  it("leaves health checks open", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: dq.url }));
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
  });
});
