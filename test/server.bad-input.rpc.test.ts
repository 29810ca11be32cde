import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const MiB = 1024 * 1024;
const job = { topic: "bad", id: "bad-1", delay: 0, ttr: 5, body: "x" };
const clientOf = (transport: Transport) => createClient(DelayQueueService, transport);
type Client = ReturnType<typeof clientOf>;

// [what, call, expected code, expected message]
const cases: [string, (c: Client) => Promise<unknown>, Code, RegExp?][] = [
  ["a bad topic", (c) => c.push({ ...job, topic: "a b" }), Code.InvalidArgument, /may contain/],
  ["a negative delay", (c) => c.push({ ...job, delay: -1 }), Code.InvalidArgument, /delay must/],
  ["ttr 0", (c) => c.push({ ...job, ttr: 0 }), Code.InvalidArgument, /ttr must be between/],
  ["an empty id", (c) => c.push({ ...job, id: "" }), Code.InvalidArgument, /id is required/],
  ["an empty topic", (c) => c.push({ ...job, topic: "" }), Code.InvalidArgument, /topic is requ/],
  [
    "a job body over 1 MiB",
    (c) => c.push({ ...job, body: "b".repeat(MiB + 1) }),
    Code.InvalidArgument,
    /body is larger/,
  ],
  [
    "an oversized request",
    (c) => c.push({ ...job, body: "b".repeat(2 * MiB) }),
    Code.ResourceExhausted,
  ],
  ["pop without topics", (c) => c.pop({ topics: [] }), Code.InvalidArgument, /at least one topic/],
  [
    "pop of a bad topic",
    (c) => c.pop({ topics: ["ok", "no way"] }),
    Code.InvalidArgument,
    /may contain/,
  ],
  [
    "pop timeout over 180 s",
    (c) => c.pop({ topics: ["a"], timeout: 181 }),
    Code.InvalidArgument,
    /timeout/,
  ],
  [
    "a negative pop timeout",
    (c) => c.pop({ topics: ["a"], timeout: -1 }),
    Code.InvalidArgument,
    /timeout/,
  ],
  ["finish without id", (c) => c.finish({}), Code.InvalidArgument, /id is required/],
  [
    "a batch finish with an id missing",
    (c) => c.finishBatch({ jobs: [{ id: "fine" }, {}] }),
    Code.InvalidArgument,
    /jobs\[1\]: id is required/,
  ],
  ["delete without id", (c) => c.delete({}), Code.InvalidArgument, /id is required/],
  ["get of an unknown id", (c) => c.get({ id: "never-pushed" }), Code.NotFound, /no job/],
  ["release of an unknown id", (c) => c.release({ id: "never-pushed" }), Code.NotFound, /no job/],
  [
    "push if absent of an existing id",
    async (c) => {
      await c.push({ ...job, id: "exists", delay: 60 });
      await c.push({ ...job, id: "exists", ifAbsent: true });
    },
    Code.AlreadyExists,
    /already exists/,
  ],
  [
    "release of a job not reserved",
    async (c) => {
      await c.push({ ...job, id: "idle", delay: 60 });
      await c.release({ id: "idle" });
    },
    Code.FailedPrecondition,
    /not reserved/,
  ],
];

const transports: [string, () => Transport][] = [
  ["Connect JSON", () => createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" })],
  ["gRPC", () => createGrpcTransport({ baseUrl: dq.url })],
  ["gRPC-web", () => createGrpcWebTransport({ baseUrl: dq.url, httpVersion: "1.1" })],
];

describe.each(transports)("bad input over %s", (_name, transport) => {
  it.each(cases)("answers %s with its code", async (_what, call, code, message) => {
    const error = await call(clientOf(transport())).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(code);
    if (message) expect(error?.rawMessage).toMatch(message);
  });

  it("still serves after all of them", async () => {
    const client = clientOf(transport());
    const topic = `after-${Math.random().toString(36).slice(2, 8)}`;
    await client.push({ ...job, id: topic, topic });
    expect((await client.pop({ topics: [topic], timeout: 1 })).job?.id).toBe(topic);
  });
});

it("rejects a NaN delay, which only the binary format can carry", async () => {
  const client = clientOf(
    createConnectTransport({ baseUrl: dq.url, useBinaryFormat: true, httpVersion: "1.1" }),
  );
  const error = await client.push({ ...job, delay: Number.NaN }).catch((e) => ConnectError.from(e));
  expect(error).toBeInstanceOf(ConnectError);
  expect((error as ConnectError).code).toBe(Code.InvalidArgument);
});
