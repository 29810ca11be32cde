import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../gen/grpc/health/v1/health_pb.js";
import { externalRedis, withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { withServer } from "./harness/server.js";
import { untilAnswered } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis);

const job = { topic: "down", id: "down-1", delay: 0, ttr: 30, body: "x" };

/** Runs `call` and returns how long it took and what it threw. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - started, error };
}

describe.skipIf(externalRedis)("while Redis is down", () => {
  it("answers unavailable quickly on every way in, and recovers when Redis is back", async () => {
    const connect = createClient(
      DelayQueueService,
      createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" }),
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: dq.url }));
    await connect.push(job);
    expect((await health.check({})).status).toBe(Status.SERVING);

    await redis.server.stop();
    try {
      const push = await timed(() => connect.push(job));
      expect(ConnectError.from(push.error).code).toBe(Code.Unavailable);
      expect(push.ms).toBeLessThan(3000);

      const pop = await timed(() => connect.pop({ topics: ["down"], timeout: 5 }));
      expect(ConnectError.from(pop.error).code).toBe(Code.Unavailable);
      expect(pop.ms).toBeLessThan(3000);

      const started = performance.now();
      const legacy = await legacyCall(dq.url, "/get", { id: job.id });
      expect(legacy.status).toBe(200);
      expect(legacy.body).toEqual({
        code: 1,
        message: expect.stringMatching(/unavailable/),
        data: null,
      });
      expect(performance.now() - started).toBeLessThan(3000);

      const healthz = await fetch(new URL("/healthz", dq.url));
      expect(healthz.status).toBe(503);
      expect((await health.check({})).status).toBe(Status.NOT_SERVING);
    } finally {
      await redis.server.restart();
    }

    // The data did not survive (no persistence in this test); the service did.
    await untilAnswered(() => connect.push(job), { timeoutMs: 15_000, pauseMs: 100 });
    expect((await connect.pop({ topics: ["down"], timeout: 1 })).job?.id).toBe(job.id);
    expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
    expect((await health.check({})).status).toBe(Status.SERVING);
  });
});
