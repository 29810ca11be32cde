import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis, { queue: { limits: { maxWaitingPops: 2, maxPopTimeoutMs: 5_000 } } });

const connect = () =>
  createClient(DelayQueueService, createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" }));
const exhausted = "too many pops are waiting in this process (limit 2): retry later";

describe("with max_waiting_pops = 2 and max_pop_timeout = 5 s", () => {
  const leave = new AbortController();
  afterAll(() => leave.abort());

  it("refuses a third long-poll on every way in, and keeps the two parked", async () => {
    const parked = [1, 2].map(() =>
      legacyCall(dq.url, "/pop", { topic: "full", timeout: 5 }, { signal: leave.signal }).catch(
        () => undefined,
      ),
    );
    await waitUntil(() => dq.server.queue.waiting === 2);

    const legacy = await legacyCall(dq.url, "/pop", { topic: "full", timeout: 5 });
    expect(legacy).toEqual({ status: 200, body: { code: 1, message: exhausted, data: null } });

    const rpc = await connect()
      .pop({ topics: ["full"], timeout: 5 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(rpc).toMatchObject({ code: Code.ResourceExhausted, rawMessage: exhausted });

    const grpc = grpcJsClient(dq.url);
    try {
      const error = await grpc.pop({ topics: ["full"], timeout: 5 }).catch((e: unknown) => e);
      expect((error as { code?: number }).code).toBe(8); // RESOURCE_EXHAUSTED
    } finally {
      grpc.close();
    }
    expect(dq.server.queue.waiting).toBe(2);

    // A pop that does not wait is still served.
    expect(await legacyCall(dq.url, "/pop", { topic: "full", timeout: 0 })).toMatchObject({
      body: { code: 0, data: null },
    });
    leave.abort();
    await Promise.all(parked);
    await waitUntil(() => dq.server.queue.longPolls === 0);
  });

  it("refuses a pop timeout above the configured maximum", async () => {
    const legacy = await legacyCall(dq.url, "/pop", { topic: "t", timeout: 6 });
    expect(legacy.body).toMatchObject({ code: 1, message: "timeout must be between 0 s and 5 s" });
    const rpc = await connect()
      .pop({ topics: ["t"], timeout: 6 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(rpc).toMatchObject({ code: Code.InvalidArgument });
  });
});
