import { randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { startTestServer, withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis);
// The fastify legacy routes, which the legacy fast path otherwise serves.
const viaFastify = withServer(redis, { legacyFastPath: false });

const fresh = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

describe("legacy long-poll", () => {
  it("holds a pop for its timeout and answers data null", async () => {
    const started = performance.now();
    const answer = await legacyCall(dq.url, "/pop", { topic: fresh("empty"), timeout: 2 });
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ status: 200, body: { code: 0, message: "ok", data: null } });
    expect(elapsed).toBeGreaterThanOrEqual(1950);
    expect(elapsed).toBeLessThan(4000);
  });

  it("waits the configured block timeout when the pop names none", async () => {
    // The test server's legacyPopTimeoutSeconds is 1.
    const started = performance.now();
    const answer = await legacyCall(dq.url, "/pop", { topic: fresh("default") });
    expect(answer.body.data).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("answers a parked pop as soon as a job is pushed", async () => {
    const topic = fresh("wake");
    const parked = legacyCall(dq.url, "/pop", { topic, timeout: 10 });
    await waitUntil(() => dq.server.queue.waiting > 0);
    const pushed = performance.now();
    await legacyCall(dq.url, "/push", { topic, id: topic, delay: 0, ttr: 30, body: "now" });
    expect((await parked).body.data).toEqual({ id: topic, body: "now", topic });
    expect(performance.now() - pushed).toBeLessThan(1000);
  });
});

/** Ways to park a pop that the test can abandon through `signal`. */
type Park = (url: string, topic: string, signal: AbortSignal) => Promise<unknown>;
const legacyPark: Park = (url, topic, signal) =>
  legacyCall(url, "/pop", { topic, timeout: 30 }, { signal });
const cancellers: [string, Park][] = [
  ["a legacy client whose fetch is aborted", legacyPark],
  [
    "a Connect pop over HTTP/1.1 cancelled by its signal",
    (url, topic, signal) =>
      createClient(
        DelayQueueService,
        createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
      ).pop({ topics: [topic], timeout: 30 }, { signal }),
  ],
  [
    "a Connect pop over h2c cancelled by its signal",
    (url, topic, signal) =>
      createClient(
        DelayQueueService,
        createConnectTransport({ baseUrl: url, httpVersion: "2" }),
      ).pop({ topics: [topic], timeout: 30 }, { signal }),
  ],
  [
    "a grpc-js pop cancelled",
    async (url, topic, signal) => {
      const client = grpcJsClient(url);
      try {
        return await client.pop({ topics: [topic], timeout: 30 }, { signal });
      } finally {
        client.close();
      }
    },
  ],
];

describe("a client that goes away mid-poll", () => {
  const cases = [
    ...cancellers.map(([name, park]) => [name, park, dq] as const),
    ["a legacy client whose fetch is aborted (fastify routes)", legacyPark, viaFastify] as const,
  ];
  it.each(cases)("takes no job: %s", async (_name, park, dq) => {
    const topic = fresh("gone");
    const { queue } = dq.server;
    const before = queue.waiting;
    const controller = new AbortController();
    const parked = park(dq.url, topic, controller.signal).catch((e: unknown) => e);
    await waitUntil(() => queue.waiting > before, { message: "pop parked" });
    controller.abort();
    await parked;
    // The server noticed: the wait is gone before any job exists.
    await waitUntil(() => queue.waiting === before, { message: "pop released" });
    await legacyCall(dq.url, "/push", { topic, id: topic, delay: 0, ttr: 30, body: "kept" });
    expect((await queue.get(topic))?.state).toBe("ready");
    const popped = await legacyCall(dq.url, "/pop", { topic, timeout: 0 });
    expect(popped.body.data).toEqual({ id: topic, body: "kept", topic });
    expect((await queue.get(topic))?.attempts).toBe(1);
  });
});

describe("stopping with polls parked", () => {
  it("answers every parked poll with no job and closes within a second or two", async () => {
    const server = await startTestServer(redis);
    const topic = fresh("closing");
    const h2 = createConnectTransport({ baseUrl: server.url, httpVersion: "2" });
    const grpcJs = grpcJsClient(server.url);
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    const watching = (async () => {
      for await (const _ of health.watch({})) {
      }
    })().catch((e: unknown) => e);
    const parked = [
      legacyCall(server.url, "/pop", { topic, timeout: 60 }).then((a) => a.body),
      createClient(DelayQueueService, h2)
        .pop({ topics: [topic], timeout: 60 })
        .then((r) => r.job ?? null),
      grpcJs.pop({ topics: [topic], timeout: 60 }).then((r) => r.job ?? null),
      createClient(
        DelayQueueService,
        createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" }),
      )
        .pop({ topics: [topic], timeout: 60 })
        .then((r) => r.job ?? null),
    ];
    await waitUntil(() => server.queue.waiting === parked.length, { message: "all parked" });

    const started = performance.now();
    await server.close();
    const took = performance.now() - started;

    expect(await Promise.all(parked)).toEqual([
      { code: 0, message: "ok", data: null },
      null,
      null,
      null,
    ]);
    await watching;
    expect(took).toBeLessThan(2000);
    grpcJs.close();
    // A second close is a no-op that resolves.
    await server.close();
  });
});
