import { randomBytes } from "node:crypto";
import http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  DeleteRequestSchema,
  FinishBatchRequestSchema,
  GetRequestSchema,
  PopRequestSchema,
  PushRequestSchema,
} from "../gen/delayqueue/v1/delay_queue_pb.js";
import { createClient } from "../sdk/index.js";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { h2Request, h2Session } from "./harness/raw-http2.js";
import { startTestServer, withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const TOKEN = "fast-path-token";
const LIMIT = 64 * 1024;
const options = { authTokens: [TOKEN], requestLimitBytes: LIMIT };
const fast = withServer(redis, options);
// Every call through connect-es: the reference the fast path must match.
const slow = withServer(redis, { ...options, rpcFastPath: false });

const service = "/delayqueue.v1.DelayQueueService";
const auth: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
const fresh = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

function bytes<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer {
  return Buffer.from(toBinary(schema, create(schema, init)));
}

/** One length-prefixed gRPC frame; `declared` overrides the length prefix. */
function frame(message: Buffer, flags = 0, declared = message.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(declared, 1);
  return Buffer.concat([head, message]);
}

/** A call as the cases below describe it: method, request bytes (unframed), headers. */
interface Case {
  name: string;
  method: string;
  message: () => Buffer;
  headers?: Record<string, string>;
  /** gRPC only: the DATA to send instead of one frame of `message`. */
  grpcBody?: (message: Buffer) => Buffer;
}

const deleteMissing = () => bytes(DeleteRequestSchema, { id: "fast-path-missing" });
const cases: Case[] = [
  { name: "an answer", method: "Delete", message: deleteMissing },
  { name: "not found", method: "Get", message: () => bytes(GetRequestSchema, { id: "nope" }) },
  {
    name: "a request the service refuses",
    method: "Push",
    message: () => bytes(PushRequestSchema, { topic: "bad topic", id: "x", ttr: 30 }),
  },
  {
    name: "a batch finish",
    method: "FinishBatch",
    message: () =>
      bytes(FinishBatchRequestSchema, { jobs: [{ id: "fast-path-missing" }, { id: "nope" }] }),
  },
  {
    name: "a batch finish the service refuses",
    method: "FinishBatch",
    message: () => bytes(FinishBatchRequestSchema, { jobs: [{ id: "fine" }, { id: "" }] }),
  },
  { name: "bytes that are not protobuf", method: "Delete", message: () => Buffer.from([0xff]) },
  { name: "no token", method: "Delete", message: deleteMissing, headers: { authorization: "" } },
  {
    name: "a wrong token",
    method: "Delete",
    message: deleteMissing,
    headers: { authorization: "Bearer wrong" },
  },
  {
    name: "a deadline that passes during a pop",
    method: "Pop",
    message: () => bytes(PopRequestSchema, { topics: [fresh("deadline")], timeout: 10 }),
    headers: { "grpc-timeout": "300m", "connect-timeout-ms": "300" },
  },
  {
    name: "a timeout header that does not parse",
    method: "Delete",
    message: deleteMissing,
    headers: { "grpc-timeout": "soon", "connect-timeout-ms": "soon" },
  },
  {
    name: "a request over the limit",
    method: "Push",
    message: () => bytes(PushRequestSchema, { topic: "t", id: "x", body: "b".repeat(LIMIT) }),
  },
  { name: "an empty body", method: "Delete", message: () => Buffer.alloc(0), grpcBody: (m) => m },
  {
    name: "a cut frame",
    method: "Delete",
    message: deleteMissing,
    grpcBody: (m) => frame(m).subarray(0, 8),
  },
  {
    name: "a length prefix over the limit",
    method: "Delete",
    message: deleteMissing,
    grpcBody: (m) => frame(m, 0, LIMIT + 1),
  },
  {
    name: "two frames",
    method: "Delete",
    message: deleteMissing,
    grpcBody: (m) => Buffer.concat([frame(m), frame(m)]),
  },
  {
    name: "a frame flagged compressed without an encoding",
    method: "Delete",
    message: deleteMissing,
    grpcBody: (m) => frame(m, 1),
  },
  {
    name: "a gzip request (served by connect-es either way)",
    method: "Delete",
    message: deleteMissing,
    headers: { "grpc-encoding": "gzip" },
    grpcBody: (m) => frame(gzipSync(m), 1),
  },
];

/** What must match between the two paths, for gRPC. */
async function grpcAnswer(url: string, c: Case) {
  const session = h2Session(url);
  try {
    const message = c.message();
    const { "connect-timeout-ms": _, ...headers } = { ...auth, ...c.headers };
    const answer = await h2Request(
      session,
      `${service}/${c.method}`,
      { "content-type": "application/grpc", ...headers },
      c.grpcBody ? c.grpcBody(message) : frame(message),
    );
    const status = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
    const text = answer.trailers["grpc-message"] ?? answer.headers["grpc-message"] ?? "";
    return {
      status: answer.status,
      contentType: answer.headers["content-type"],
      grpcStatus: status,
      grpcMessage: decodeURIComponent(String(text)),
      body: answer.body.toString("hex"),
      error: answer.error,
    };
  } finally {
    session.close();
  }
}

/** What must match between the two paths, for Connect unary over HTTP/1.1. */
async function connectAnswer(url: string, c: Case) {
  const { "grpc-timeout": _, ...headers } = { ...auth, ...c.headers };
  const response = await fetch(`${url}${service}/${c.method}`, {
    method: "POST",
    headers: { "content-type": "application/proto", ...headers },
    body: c.message(),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const contentType = response.headers.get("content-type");
  return {
    status: response.status,
    contentType,
    body: contentType === "application/json" ? JSON.parse(body.toString()) : body.toString("hex"),
  };
}

/** The same, over HTTP/2. */
async function connectH2Answer(url: string, c: Case) {
  const session = h2Session(url);
  try {
    const { "grpc-timeout": _, ...headers } = { ...auth, ...c.headers };
    const answer = await h2Request(
      session,
      `${service}/${c.method}`,
      { "content-type": "application/proto", ...headers },
      c.message(),
    );
    const contentType = answer.headers["content-type"];
    return {
      status: answer.status,
      contentType,
      body:
        contentType === "application/json"
          ? JSON.parse(answer.body.toString())
          : answer.body.toString("hex"),
    };
  } finally {
    session.close();
  }
}

const grpcCases = cases.map((c) => [c.name, c] as const);
const connectCases = grpcCases.filter(([, c]) => !c.grpcBody);

describe.each([
  ["gRPC", grpcAnswer, grpcCases],
  ["Connect over HTTP/1.1", connectAnswer, connectCases],
  ["Connect over HTTP/2", connectH2Answer, connectCases],
] as const)("the fast path over %s answers as connect-es does", (_protocol, call, list) => {
  it.each(list)("for %s", async (_name, c) => {
    const [viaFast, viaConnectEs] = await Promise.all([call(fast.url, c), call(slow.url, c)]);
    expect(viaFast).toEqual(viaConnectEs);
  });
});

/** Sends `chunks` as separate DATA frames, a pause between them, and collects the answer. */
function h2Chunked(url: string, path: string, chunks: Buffer[]) {
  const session = h2Session(url);
  return new Promise<{ status?: string; message?: Buffer }>((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      ...auth,
    });
    const data: Buffer[] = [];
    let status: string | undefined;
    stream.on("response", (headers) => {
      status ??= headers["grpc-status"] as string | undefined;
    });
    stream.on("trailers", (trailers) => {
      status = trailers["grpc-status"] as string | undefined;
    });
    stream.on("data", (chunk: Buffer) => data.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ status, message: Buffer.concat(data) });
    });
    (async () => {
      for (const chunk of chunks) {
        stream.write(chunk);
        await sleep(5);
      }
      stream.end();
    })().catch(reject);
  });
}

describe("the fast path", () => {
  it("answers gRPC failures trailers-only, and rpc_fast_path = no leaves them to connect-es", async () => {
    const c = cases.find((x) => x.name === "not found") as Case;
    const answers = await Promise.all(
      [fast.url, slow.url].map(async (url) => {
        const session = h2Session(url);
        const message = frame(c.message());
        const answer = await h2Request(
          session,
          `${service}/Get`,
          { "content-type": "application/grpc", ...auth },
          message,
        );
        session.close();
        return answer;
      }),
    );
    expect(answers[0]?.headers["grpc-status"]).toBe("5");
    expect(answers[1]?.headers["grpc-status"]).toBeUndefined();
    expect(answers[1]?.trailers["grpc-status"]).toBe("5");
  });

  it("reads a frame split over many DATA frames, its length prefix too", async () => {
    const id = fresh("split");
    const message = frame(bytes(PushRequestSchema, { topic: "split", id, ttr: 30, body: "x" }));
    const chunks = [...message].map((byte) => Buffer.from([byte]));
    const answer = await h2Chunked(fast.url, `${service}/Push`, chunks);
    expect(answer.status).toBe("0");
    expect(answer.message?.readUInt32BE(1)).toBe((answer.message?.length ?? 0) - 5);
    expect((await fast.server.queue.get(id))?.state).toBe("ready");
  });

  it("refuses a frame split over DATA frames whose length prefix is over the limit", async () => {
    const message = frame(deleteMissing(), 0, LIMIT + 1);
    const chunks = [message.subarray(0, 2), message.subarray(2, 4), message.subarray(4)];
    const answer = await h2Chunked(fast.url, `${service}/Delete`, chunks);
    expect(answer.status).toBe("8");
  });

  it("frees the waiter of a parked gRPC pop whose stream the client resets", async () => {
    const topic = fresh("reset");
    const { queue } = fast.server;
    const before = queue.waiting;
    const session = h2Session(fast.url);
    const stream = session.request({
      ":method": "POST",
      ":path": `${service}/Pop`,
      "content-type": "application/grpc",
      ...auth,
    });
    stream.on("error", () => {});
    stream.end(frame(bytes(PopRequestSchema, { topics: [topic], timeout: 30 })));
    await waitUntil(() => queue.waiting > before, { message: "pop parked" });
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitUntil(() => queue.waiting === before, { message: "pop released" });
    session.close();
    await queue.push({ topic, id: topic, body: Buffer.from("kept"), delayMs: 0, ttrMs: 30_000 });
    expect((await queue.get(topic))?.state).toBe("ready");
  });

  it("frees the waiter of a parked Connect pop whose client goes away", async () => {
    const topic = fresh("gone");
    const { queue } = fast.server;
    const before = queue.waiting;
    const controller = new AbortController();
    const parked = fetch(`${fast.url}${service}/Pop`, {
      method: "POST",
      headers: { "content-type": "application/proto", ...auth },
      body: bytes(PopRequestSchema, { topics: [topic], timeout: 30 }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await waitUntil(() => queue.waiting > before, { message: "pop parked" });
    controller.abort();
    await parked;
    await waitUntil(() => queue.waiting === before, { message: "pop released" });
  });
});

describe("the fast path's request log", () => {
  it("has a debug line in and out per call, nothing at info, and never a body", async () => {
    const lines: { level: number; msg: string }[] = [];
    const text: string[] = [];
    const logger = pino(
      { level: "debug" },
      {
        write(line: string) {
          text.push(line);
          lines.push(JSON.parse(line));
        },
      },
    );
    const server = await startTestServer(redis, { logger });
    try {
      const body = "body-4e1f-must-not-be-logged";
      const push = bytes(PushRequestSchema, { topic: "logged", id: fresh("log"), ttr: 30, body });
      const session = h2Session(server.url);
      await h2Request(
        session,
        `${service}/Push`,
        { "content-type": "application/grpc" },
        frame(push),
      );
      session.close();
    } finally {
      await server.close();
    }
    const calls = lines.filter((l) => /^(incoming request|request completed)$/.test(l.msg));
    expect(calls.map((l) => [l.level, l.msg])).toEqual([
      [20, "incoming request"],
      [20, "request completed"],
    ]);
    expect(text.join("")).not.toContain("must-not-be-logged");
  });
});

describe("real clients", () => {
  it("take the fast path: grpc-js, and the SDK over Connect (HTTP/1.1, h2c) and gRPC", async () => {
    const lines: { msg: string; reqId?: string; req?: { url?: string } }[] = [];
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const server = await startTestServer(redis, { logger });
    const grpcJs = grpcJsClient(server.url);
    try {
      const id = fresh("clients");
      await grpcJs.delete({ id });
      await createClient({ baseUrl: server.url }).delete({ id });
      await createClient({ baseUrl: server.url, httpVersion: "2" }).delete({ id });
      await createClient({ baseUrl: server.url, protocol: "grpc" }).delete({ id });
      // gRPC-web stays with connect-es.
      await createClient({ baseUrl: server.url, protocol: "grpc-web" }).delete({ id });
    } finally {
      grpcJs.close();
      await server.close();
    }
    const incoming = lines.filter((l) => l.msg === "incoming request");
    const fastCalls = incoming.filter((l) => l.reqId?.startsWith("rpc-"));
    expect(fastCalls.map((l) => l.req?.url)).toEqual(Array(4).fill(`${service}/Delete`));
    expect(incoming.length - fastCalls.length).toBe(1);
  });
});

describe("a gRPC call answered before its body is read", () => {
  it.each([
    ["fast path", true],
    ["connect-es", false],
  ] as const)("holds no stop open once the client cancels it (%s)", async (_path, rpcFastPath) => {
    const server = await startTestServer(redis, { rpcFastPath, requestLimitBytes: 1024 });
    const session = h2Session(server.url);
    const stream = session.request({
      ":method": "POST",
      ":path": `${service}/Push`,
      "content-type": "application/grpc",
    });
    stream.on("error", () => {});
    const answered = new Promise((resolve) => {
      stream.on("response", resolve);
      stream.on("trailers", resolve);
    });
    // A length prefix far over the limit, then more body than the flow-control window.
    stream.write(frame(Buffer.alloc(0), 0, 10_000_000));
    for (let i = 0; i < 16; i++) stream.write(Buffer.alloc(64 * 1024));
    await answered;
    stream.close(http2.constants.NGHTTP2_CANCEL);
    session.close();
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
