import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as V1alphaRequestSchema,
} from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { tokenCheck } from "../src/server/auth.js";
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

  it("leaves health checks and metrics open", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: dq.url }));
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
    expect((await fetch(new URL("/metrics", dq.url))).status).toBe(200);
  });
});

describe("auth on every way in", () => {
  const transports: [string, () => Transport][] = [
    [
      "Connect JSON over HTTP/1.1",
      () => createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" }),
    ],
    [
      "Connect binary over h2c",
      () => createConnectTransport({ baseUrl: dq.url, httpVersion: "2", useBinaryFormat: true }),
    ],
    ["gRPC", () => createGrpcTransport({ baseUrl: dq.url })],
    ["gRPC-web", () => createGrpcWebTransport({ baseUrl: dq.url, httpVersion: "1.1" })],
  ];

  it.each(transports)("%s: refuses a call without a token, takes one with it", async (_, make) => {
    const client = createClient(DelayQueueService, make());
    const refused = await client.get({ id: job.id }).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({ code: Code.Unauthenticated });
    const answer = await client.get({ id: job.id }, { headers: bearer("new-token") });
    expect(answer.job?.id).toBe(job.id);
  });

  it("accepts the Bearer scheme in any case, and nothing but Bearer", async () => {
    const client = connect();
    await expect(
      client.get({ id: job.id }, { headers: { authorization: "bearer old-token" } }),
    ).resolves.toBeDefined();
    const basic = await client
      .get({ id: job.id }, { headers: { authorization: "Basic old-token" } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(basic).toMatchObject({ code: Code.Unauthenticated });
  });

  it.each(["/push", "/pop", "/finish", "/delete", "/get"])(
    "refuses legacy %s with a wrong token, in the envelope",
    async (path) => {
      const body = { ...job, id: "never", topic: "never", timeout: 0 };
      const refused = await legacyCall(dq.url, path, body, { headers: bearer("guess") });
      expect(refused.body).toEqual({
        code: 1,
        message: "missing or invalid bearer token",
        data: null,
      });
    },
  );

  it("guards server reflection, v1 and v1alpha", async () => {
    const transport = createGrpcTransport({ baseUrl: dq.url });
    const v1 = createClient(ServerReflection, transport);
    const v1alpha = createClient(ServerReflectionV1alpha, transport);
    const listServices = { messageRequest: { case: "listServices", value: "" } } as const;
    const asks = [
      (headers: Record<string, string>) =>
        count(
          v1.serverReflectionInfo(one(create(ServerReflectionRequestSchema, listServices)), {
            headers,
          }),
        ),
      (headers: Record<string, string>) =>
        count(
          v1alpha.serverReflectionInfo(one(create(V1alphaRequestSchema, listServices)), {
            headers,
          }),
        ),
    ];
    for (const ask of asks) {
      const refused = await ask({}).catch((e: unknown) => ConnectError.from(e));
      expect(refused).toMatchObject({ code: Code.Unauthenticated });
      expect(await ask(bearer("old-token"))).toBe(1);
    }
  });
});

describe("tokenCheck", () => {
  // Tokens are compared as SHA-256 digests with timingSafeEqual, so no length can leak or throw.
  it("compares tokens of any length, against every configured one", () => {
    const check = tokenCheck(["short", "a-much-longer-token-than-the-other"]);
    for (const given of ["", "s", "shor", "shortt", "x".repeat(10_000), "a-much-longer"]) {
      expect(check(`Bearer ${given}`)).toBe(false);
    }
    expect(check("Bearer short")).toBe(true);
    expect(check("  Bearer   a-much-longer-token-than-the-other  ")).toBe(true);
    expect(check(undefined)).toBe(false);
    expect(tokenCheck([])(undefined)).toBe(true);
  });
});

async function* one<T>(message: T): AsyncIterable<T> {
  yield message;
}

async function count(answers: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of answers) n++;
  return n;
}
