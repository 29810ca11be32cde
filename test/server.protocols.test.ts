import { randomBytes } from "node:crypto";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import type { DelayQueue } from "../src/queue/index.js";
import { type GrpcJsClient, grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import {
  connectScenarioClient,
  grpcJsScenarioClient,
  legacyScenarioClient,
  type ScenarioClient,
} from "./harness/scenario-clients.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

/** Push, pop, finish, delete, get, ttr redelivery and delay, each part on its own topics. */
async function scenario(client: ScenarioClient, queue: DelayQueue, label: string): Promise<void> {
  const tag = `${label}-${randomBytes(3).toString("hex")}`;
  const topic = (name: string) => `${tag}.${name}`;
  const id = (name: string) => `${tag}:${name}`;

  const basics = async () => {
    const body = 'hello ✓ {"json": [1, 2]}';
    await client.push({ topic: topic("a"), id: id("a"), delay: 0, ttr: 30, body });
    expect(await client.pop([topic("a")], 1)).toEqual({ id: id("a"), topic: topic("a"), body });
    await client.finish(id("a"));
    expect(await client.get(id("a"))).toBeNull();
    expect(await client.pop([topic("a")], 0)).toBeNull();
  };

  const topicOrder = async () => {
    await client.push({ topic: topic("low"), id: id("low"), delay: 0, ttr: 30, body: "low" });
    await client.push({ topic: topic("high"), id: id("high"), delay: 0, ttr: 30, body: "high" });
    const first = await client.pop([topic("high"), topic("low")], 1);
    const second = await client.pop([topic("high"), topic("low")], 1);
    expect([first?.id, second?.id]).toEqual([id("high"), id("low")]);
  };

  const deletes = async () => {
    await client.push({ topic: topic("d"), id: id("d"), delay: 60, ttr: 30, body: "gone" });
    expect(await client.get(id("d"))).not.toBeNull();
    await client.delete(id("d"));
    expect(await client.get(id("d"))).toBeNull();
    await client.delete(id("d"));
  };

  const getShape = async () => {
    const now = Date.now() / 1000;
    await client.push({ topic: topic("g"), id: id("g"), delay: 100, ttr: 7, body: "later" });
    const job = await client.get(id("g"));
    expect(job).toMatchObject({ id: id("g"), topic: topic("g"), body: "later", ttr: 7 });
    expect(job?.dueSeconds).toBeGreaterThanOrEqual(Math.floor(now + 100) - 1);
    expect(job?.dueSeconds).toBeLessThanOrEqual(Math.ceil(now + 100) + 1);
  };

  const redelivery = async () => {
    await client.push({ topic: topic("r"), id: id("r"), delay: 0, ttr: 1, body: "again" });
    expect((await client.pop([topic("r")], 1))?.id).toBe(id("r"));
    const started = performance.now();
    // Not finished: after its ttr it is handed out again.
    expect((await client.pop([topic("r")], 5))?.id).toBe(id("r"));
    expect(performance.now() - started).toBeGreaterThan(700);
    expect((await queue.get(id("r")))?.attempts).toBe(2);
    await client.finish(id("r"));
  };

  const delayHonoured = async () => {
    const started = performance.now();
    await client.push({ topic: topic("e"), id: id("e"), delay: 1, ttr: 30, body: "due" });
    expect(await client.pop([topic("e")], 0)).toBeNull();
    expect((await client.pop([topic("e")], 5))?.id).toBe(id("e"));
    expect(performance.now() - started).toBeGreaterThanOrEqual(980);
  };

  await Promise.all([basics(), topicOrder(), deletes(), getShape(), redelivery(), delayHonoured()]);
}

const grpcClients: GrpcJsClient[] = [];
const trackGrpc = (client: GrpcJsClient) => {
  grpcClients.push(client);
  return client;
};

const connect = (url: string, useBinaryFormat: boolean, httpVersion: "1.1" | "2"): Transport =>
  createConnectTransport({ baseUrl: url, useBinaryFormat, httpVersion });

const ways: { name: string; client: (url: string) => ScenarioClient }[] = [
  { name: "legacy POST-JSON", client: (url) => legacyScenarioClient(url) },
  {
    name: "Connect JSON over HTTP/1.1",
    client: (url) => connectScenarioClient(connect(url, false, "1.1")),
  },
  {
    name: "Connect binary over HTTP/1.1",
    client: (url) => connectScenarioClient(connect(url, true, "1.1")),
  },
  {
    name: "Connect JSON over h2c",
    client: (url) => connectScenarioClient(connect(url, false, "2")),
  },
  {
    name: "Connect binary over h2c",
    client: (url) => connectScenarioClient(connect(url, true, "2")),
  },
  {
    name: "gRPC with @grpc/grpc-js",
    client: (url) => grpcJsScenarioClient(trackGrpc(grpcJsClient(url))),
  },
  {
    name: "gRPC with connect-node",
    client: (url) => connectScenarioClient(createGrpcTransport({ baseUrl: url })),
  },
  {
    name: "gRPC-web over HTTP/1.1",
    client: (url) =>
      connectScenarioClient(createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })),
  },
  {
    name: "gRPC-web over h2c",
    client: (url) =>
      connectScenarioClient(createGrpcWebTransport({ baseUrl: url, httpVersion: "2" })),
  },
];

describe("one port, every protocol", () => {
  it.each(ways)("runs the job scenario over $name", async ({ name, client }) => {
    const label = name.replace(/[^A-Za-z0-9]+/g, "-");
    await scenario(client(dq.url), dq.server.queue, label);
  });

  afterAll(() => {
    for (const client of grpcClients) client.close();
  });

  it("sees one queue whichever way a job came in", async () => {
    const id = `cross-${randomBytes(3).toString("hex")}`;
    const legacy = legacyScenarioClient(dq.url);
    const grpc = grpcJsScenarioClient(trackGrpc(grpcJsClient(dq.url)));
    await legacy.push({ topic: id, id, delay: 0, ttr: 30, body: "from legacy" });
    expect(await grpc.pop([id], 1)).toEqual({ id, topic: id, body: "from legacy" });
    await grpc.finish(id);
    expect(await legacy.get(id)).toBeNull();
  });

  it("answers GET /healthz with ok while Redis answers", async () => {
    const response = await fetch(new URL("/healthz", dq.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
