import { createServer } from "node:net";
import { type Client, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { createNodeTransport } from "../sdk/node-transport/index.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis, { authTokens: ["s3cret"] });

type Way = "gRPC" | "Connect over HTTP/1.1" | "Connect over HTTP/2";
const ways: Way[] = ["gRPC", "Connect over HTTP/1.1", "Connect over HTTP/2"];

/** connect-node's own transport for a way in: what ours must answer like. */
function theirs(way: Way, baseUrl: string): Transport {
  if (way === "gRPC") return createGrpcTransport({ baseUrl });
  const httpVersion = way === "Connect over HTTP/2" ? "2" : "1.1";
  return createConnectTransport({ baseUrl, httpVersion });
}

function ours(way: Way, baseUrl: string): Transport {
  const httpVersion = way === "Connect over HTTP/1.1" ? "1.1" : "2";
  return createNodeTransport({
    baseUrl,
    protocol: way === "gRPC" ? "grpc" : "connect",
    httpVersion,
    interceptors: [],
    defaultTimeoutMs: undefined,
    fallback: () => theirs(way, baseUrl),
  });
}

type Raw = Client<typeof DelayQueueService>;
const auth = { authorization: "Bearer s3cret" };

const hopHeaders = new Set(["date", "connection", "keep-alive"]);

/** What a call ended with, in a form two transports can be compared on. */
async function outcome(call: Promise<unknown>): Promise<unknown> {
  try {
    const message = await call;
    return { ok: JSON.parse(JSON.stringify(message, (_, v) => (typeof v === "bigint" ? 0 : v))) };
  } catch (error) {
    if (!(error instanceof ConnectError)) return { thrown: String(error) };
    // The date and the connection's own headers (ours keeps HTTP/1.1 connections alive) aside.
    const metadata = [...error.metadata.keys()].filter((k) => !hopHeaders.has(k)).sort();
    return { code: error.code, message: error.rawMessage, metadata };
  }
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

describe.each(ways)("the SDK's own transport over %s", (way) => {
  const both = (baseUrl = dq.url): [Raw, Raw] => [
    createClient(DelayQueueService, theirs(way, baseUrl)),
    createClient(DelayQueueService, ours(way, baseUrl)),
  ];

  it("answers every failure as connect-node's transport does: code, message and metadata", async () => {
    const [a, b] = both();
    const calls: ((raw: Raw) => Promise<unknown>)[] = [
      (raw) => raw.get({ id: "nobody" }, { headers: auth }),
      (raw) => raw.get({ id: "nobody" }),
      (raw) => raw.push({ topic: "bad topic!", id: "x", ttr: 1 }, { headers: auth }),
      (raw) => raw.push({ topic: "t", id: "", ttr: 1 }, { headers: auth }),
      (raw) => raw.finishBatch({ jobs: [] }, { headers: auth }),
      (raw) => raw.release({ id: "nobody" }, { headers: auth }),
    ];
    for (const call of calls) {
      const expected = await outcome(call(a));
      expect(expected).toHaveProperty("code");
      expect(await outcome(call(b))).toEqual(expected);
    }
  });

  it("answers a path the server does not serve as connect-node's transport does", async () => {
    const [a, b] = both(`${dq.url}/not-here`);
    const expected = await outcome(a.get({ id: "x" }, { headers: auth }));
    expect(expected).toHaveProperty("code");
    expect(await outcome(b.get({ id: "x" }, { headers: auth }))).toEqual(expected);
  });

  it("takes a job through push, pop and finish, with the same answers", async () => {
    const [a, b] = both();
    for (const [raw, id] of [
      [a, `theirs-${way}`],
      [b, `ours-${way}`],
    ] as const) {
      const topic = `nt-${id.length}-${way.length}`;
      const pushed = await raw.push({ topic, id, body: "héllo", ttr: 30 }, { headers: auth });
      expect(pushed.replaced).toBe(false);
      const { job } = await raw.pop({ topics: [topic], timeout: 1 }, { headers: auth });
      expect(job?.id).toBe(id);
      expect(job?.body).toBe("héllo");
      expect((await raw.finish({ id, token: job?.token }, { headers: auth })).finished).toBe(true);
    }
  });

  it("gives the reply's headers and trailers to onHeader and onTrailer", async () => {
    const [a, b] = both();
    const seen = async (raw: Raw) => {
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      await raw
        .get(
          { id: "nobody" },
          { headers: auth, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
        )
        .catch(() => {});
      await raw.delete(
        { id: "nobody" },
        { headers: auth, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      );
      return {
        contentType: header?.get("content-type"),
        grpcStatus: trailer?.get("grpc-status") ?? null,
      };
    };
    const expected = await seen(a);
    expect(expected.contentType).toBeTruthy();
    expect(await seen(b)).toEqual(expected);
  });

  it("fails with unavailable when nothing listens, as connect-node's transport does", async () => {
    const [a, b] = both(`http://127.0.0.1:${await closedPort()}`);
    const expected = await outcome(a.get({ id: "x" }));
    expect(expected).toMatchObject({ code: 14 });
    expect(await outcome(b.get({ id: "x" }))).toMatchObject({ code: 14 });
  });

  it("rejects with canceled when the signal is aborted, before or during the call", async () => {
    const [, b] = both();
    const before = new AbortController();
    before.abort();
    expect(
      await outcome(b.pop({ topics: ["nt-cancel"], timeout: 5 }, { signal: before.signal })),
    ).toMatchObject({ code: 1 });
    const during = new AbortController();
    const started = Date.now();
    const parked = outcome(
      b.pop({ topics: ["nt-cancel"], timeout: 5 }, { headers: auth, signal: during.signal }),
    );
    setTimeout(() => during.abort(), 100);
    expect(await parked).toMatchObject({ code: 1 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("rejects with deadline_exceeded at timeoutMs, and sends the deadline to the server", async () => {
    const [, b] = both();
    const started = Date.now();
    expect(
      await outcome(
        b.pop({ topics: ["nt-deadline"], timeout: 5 }, { headers: auth, timeoutMs: 200 }),
      ),
    ).toMatchObject({ code: 4 });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("the SDK's own transport over a connection cut mid-reply", () => {
  it("rejects with a ConnectError instead of waiting for the rest", async () => {
    // Promises a 100-byte reply, sends 10 bytes of it and hangs up.
    const server = createServer((socket) => {
      socket.once("data", () => {
        socket.end(
          "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 100\r\n\r\n0123456789",
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const raw = createClient(
        DelayQueueService,
        ours("Connect over HTTP/1.1", `http://127.0.0.1:${port}`),
      );
      const started = Date.now();
      const result = await outcome(raw.get({ id: "x" }));
      expect(result).toHaveProperty("code");
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.close();
    }
  });
});
