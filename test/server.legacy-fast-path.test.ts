import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { tokenCheck } from "../src/server/auth.js";
import { legacyActions } from "../src/server/legacy-actions.js";
import { createLegacyFastPath } from "../src/server/legacy-fast-path.js";
import { DelayQueueRpc } from "../src/service/index.js";
import { withRedis } from "./harness/index.js";
import { queueFactory } from "./harness/queue.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const TOKEN = "legacy-fast-token";
const LIMIT = 4096;
const options = { authTokens: [TOKEN], requestLimitBytes: LIMIT };
const fast = withServer(redis, options);
// Every call through the fastify routes: the reference the fast path must match.
const slow = withServer(redis, { ...options, legacyFastPath: false });
const openQueue = queueFactory(redis);

const auth = { authorization: `Bearer ${TOKEN}` };

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP/1.1 request with exactly these headers (node:http adds only host and connection). */
function send(
  baseUrl: string,
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, baseUrl);
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const { date: _date, ...rest } = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          headers: rest,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe("the legacy fast path", () => {
  it("answers like the fastify routes, headers and bytes, for good and bad calls alike", async () => {
    const id = `lfp-${randomBytes(4).toString("hex")}`;
    const json = { ...auth, "content-type": "application/json" };
    const calls: [string, string | Buffer | undefined, Record<string, string>, string?][] = [
      ["/push", JSON.stringify({ topic: id, id, delay: 0, ttr: 30, body: "héllo" }), json],
      ["/get", JSON.stringify({ id }), { ...auth, "content-type": "text/plain" }],
      ["/get", JSON.stringify({ id: `${id}-none` }), auth],
      [
        "/pop",
        JSON.stringify({ topic: ` ${id} ,`, timeout: 0 }),
        {
          ...auth,
          "content-type": "application/x-www-form-urlencoded",
        },
      ],
      ["/pop", JSON.stringify({ topic: id, timeout: 0 }), json],
      ["/finish", JSON.stringify({ id }), json],
      [
        "/delete",
        JSON.stringify({ id }),
        { ...auth, "content-type": "application/json; charset=utf-8" },
      ],
      // The caller's mistakes, each answered in the envelope.
      ["/push", JSON.stringify({ topic: id, id, delay: 0, ttr: 30 }), {}],
      [
        "/push",
        JSON.stringify({ topic: id, id, delay: 0, ttr: 30 }),
        { authorization: "Bearer nope" },
      ],
      ["/push", "{not json", json],
      ["/push", "[1,2]", json],
      ["/push", "   ", json],
      ["/push", JSON.stringify({ topic: id, id, delay: "1", ttr: 30 }), json],
      ["/push", JSON.stringify({ topic: "bad topic!", id, delay: 0, ttr: 30 }), json],
      ["/push", JSON.stringify({ id, delay: 0, ttr: 30 }), json],
      ["/pop", JSON.stringify({ topic: ",", timeout: 0 }), json],
      ["/pop", JSON.stringify({ topic: id, timeout: 1e9 }), json],
      ["/finish", JSON.stringify({ id: 7 }), json],
      ["/push", Buffer.from([0xff, 0xfe, 0x7b]), json],
      // What the fast path leaves to fastify, answered the same either way.
      ["/push", undefined, json],
      ["/push", "", json],
      ["/push", "x".repeat(LIMIT + 1), json],
      ["/push?x=1", JSON.stringify({ topic: id, id: `${id}-q`, delay: 5, ttr: 30 }), json],
      ["/get", undefined, auth, "GET"],
      ["/pushx", "{}", json],
    ];
    for (const [path, body, headers, method] of calls) {
      const reference = await send(slow.url, path, body, headers, method);
      const answer = await send(fast.url, path, body, headers, method);
      expect({ path, ...answer }).toEqual({ path, ...reference });
    }
  });

  it("sends a chunked body to fastify, which answers it as before", async () => {
    const id = `lfp-${randomBytes(4).toString("hex")}`;
    const body = JSON.stringify({ topic: id, id, delay: 0, ttr: 30 });
    const headers = { ...auth, "transfer-encoding": "chunked" };
    expect(await send(fast.url, "/push", body, headers)).toEqual(
      await send(slow.url, "/push", body, headers),
    );
    expect(
      JSON.parse((await send(fast.url, "/get", JSON.stringify({ id }), auth)).body),
    ).toMatchObject({ code: 0, data: { id, topic: id } });
  });
});

describe("which requests it takes", () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A bare node:http server that answers "declined" to whatever the fast path does not take. */
  async function serve(level: string) {
    const queue = await openQueue();
    const path = createLegacyFastPath({
      actions: legacyActions(new DelayQueueRpc(queue), 1),
      authorized: tokenCheck([]),
      bodyLimit: 100,
      logger: pino({ level }, pino.destination("/dev/null")),
    });
    const server = http.createServer((req, res) => {
      if (path.request(req, res)) return;
      req.resume();
      res.writeHead(404).end("declined");
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const taken = async (at: string, body?: string, headers = {}, method = "POST") =>
      (await send(url, at, body, headers, method)).body !== "declined";
    return { path, taken };
  }

  const get = JSON.stringify({ id: "none" });

  it("takes a POST with a body of known length within the limit, to one of the five paths", async () => {
    const { taken } = await serve("info");
    for (const at of ["/push", "/pop", "/finish", "/delete", "/get"]) {
      expect(await taken(at, get)).toBe(true);
    }
    expect(await taken("/get", get, { "content-type": "text/plain" })).toBe(true);
    expect(await taken("/get", "x".repeat(100))).toBe(true);
  });

  it("declines everything else", async () => {
    const { taken } = await serve("info");
    expect(await taken("/get", get, {}, "PUT")).toBe(false);
    expect(await taken("/get?id=1", get)).toBe(false);
    expect(await taken("/get/", get)).toBe(false);
    expect(await taken("/healthz", get)).toBe(false);
    expect(await taken("/get", undefined)).toBe(false);
    expect(await taken("/get", "")).toBe(false);
    expect(await taken("/get", "x".repeat(101))).toBe(false);
    expect(await taken("/get", get, { "transfer-encoding": "chunked" })).toBe(false);
  });

  it("declines every request while debug logging is on, and all of them once stopped", async () => {
    expect(await (await serve("debug")).taken("/get", get)).toBe(false);
    const { path, taken } = await serve("info");
    expect(await taken("/get", get)).toBe(true);
    path.stop();
    expect(await taken("/get", get)).toBe(false);
  });
});
