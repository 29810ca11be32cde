import { describe, expect, it } from "vitest";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const MiB = 1024 * 1024;
const job = { topic: "bad", id: "bad-1", delay: 0, ttr: 5, body: "x" };
const without = (key: keyof typeof job) =>
  Object.fromEntries(Object.entries(job).filter(([k]) => k !== key));

// [what, path, body, expected message]: each must get HTTP 200 and code 1.
const legacyCases: [string, string, unknown, RegExp][] = [
  ["malformed JSON", "/push", '{"topic": "a",', /not valid JSON/],
  ["an empty body", "/push", "", /body is empty/],
  ["no body at all", "/pop", undefined, /body is empty/],
  ["a JSON array", "/push", "[1, 2]", /must be a JSON object/],
  ["a JSON string", "/finish", '"id"', /must be a JSON object/],
  ["delay as a string", "/push", { ...job, delay: "10" }, /delay must be a whole number of s/],
  ["delay with a fraction", "/push", { ...job, delay: 1.5 }, /delay must be a whole number of s/],
  ["ttr as a string", "/push", { ...job, ttr: "5" }, /ttr must be a whole number of seconds/],
  ["a numeric body", "/push", { ...job, body: 5 }, /body must be a string/],
  ["an object body", "/push", { ...job, body: { a: 1 } }, /body must be a string/],
  ["a numeric id", "/push", { ...job, id: 7 }, /id must be a string/],
  ["a missing id", "/push", without("id"), /id is required/],
  ["a missing topic", "/push", without("topic"), /topic is required/],
  ["a missing delay", "/push", without("delay"), /delay is required/],
  ["a null ttr", "/push", { ...job, ttr: null }, /ttr is required/],
  ["an empty id", "/push", { ...job, id: "" }, /id is required/],
  ["a bad topic", "/push", { ...job, topic: "a b" }, /may contain only letters/],
  ["a too long topic", "/push", { ...job, topic: "t".repeat(129) }, /longer than 128/],
  ["a too long id", "/push", { ...job, id: "i".repeat(257) }, /longer than 256 bytes/],
  ["a negative delay", "/push", { ...job, delay: -1 }, /delay must be between 0 s and/],
  ["ttr 0", "/push", { ...job, ttr: 0 }, /ttr must be between/],
  ["ttr over a day", "/push", { ...job, ttr: 86_401 }, /ttr must be between/],
  ["a job body over 1 MiB", "/push", { ...job, body: "b".repeat(MiB + 1) }, /larger than 1048576/],
  [
    "an oversized request",
    "/push",
    { ...job, body: "b".repeat(2 * MiB) },
    /request body is larger/,
  ],
  ["pop without topic", "/pop", {}, /topic is required/],
  ["pop of commas only", "/pop", { topic: " , ," }, /topic is required/],
  ["pop of a bad topic", "/pop", { topic: "ok,no way" }, /may contain only letters/],
  ["pop timeout over 180 s", "/pop", { topic: "a", timeout: 181 }, /timeout must be between 0 s/],
  ["pop timeout as a string", "/pop", { topic: "a", timeout: "1" }, /timeout must be a number/],
  ["finish without id", "/finish", {}, /id is required/],
  ["delete with a numeric id", "/delete", { id: 1 }, /id must be a string/],
  ["get without id", "/get", { id: null }, /id is required/],
  ["get of a too long id", "/get", { id: "i".repeat(300) }, /longer than 256 bytes/],
];

describe("bad input on the legacy routes", () => {
  it.each(legacyCases)(
    "answers %s on %s with HTTP 200 and code 1",
    async (_, path, body, message) => {
      const answer = await legacyCall(dq.url, path, body);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ code: 1, message: expect.stringMatching(message), data: null });
    },
  );

  it.each(["GET", "PUT", "DELETE"])("answers %s /push with code 1, not a 404", async (method) => {
    const answer = await legacyCall(dq.url, "/push", method === "GET" ? undefined : "{}", {
      method,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      code: 1,
      message: "/push takes POST with a JSON body",
      data: null,
    });
  });

  it.each([
    ["no content type", {}],
    ["text/plain", { "content-type": "text/plain" }],
    ["form encoding, as curl -d sends", { "content-type": "application/x-www-form-urlencoded" }],
    ["a malformed content type", { "content-type": "nonsense;;" }],
  ])("reads a JSON body sent with %s", async (_name, headers) => {
    const body = Buffer.from(JSON.stringify({ ...job, id: `ct-${Math.random()}` }));
    const answer = await legacyCall(dq.url, "/push", body, { headers });
    expect(answer.body).toEqual({ code: 0, message: "ok", data: null });
  });

  it("answers an unknown id on /get with data null and code 0", async () => {
    const answer = await legacyCall(dq.url, "/get", { id: "never-pushed" });
    expect(answer).toEqual({ status: 200, body: { code: 0, message: "ok", data: null } });
  });
});

describe("bad requests outside the routes", () => {
  const rpc = "/delayqueue.v1.DelayQueueService";

  it("answers malformed Connect JSON with invalid_argument", async () => {
    const response = await fetch(new URL(`${rpc}/Push`, dq.url), {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_argument" });
  });

  it.each([
    ["an unknown path", "GET", "/nope", 404, "not_found"],
    ["an unknown path with a malformed JSON body", "POST", "/nope", 404, "not_found"],
    ["an unknown RPC", "POST", `${rpc}/Nope`, 404, "unimplemented"],
    ["GET on an RPC", "GET", `${rpc}/Push`, 405, "unimplemented"],
    ["PUT on an RPC", "PUT", `${rpc}/Push`, 405, "unimplemented"],
    ["POST /healthz", "POST", "/healthz", 405, "unimplemented"],
    ["POST /metrics", "POST", "/metrics", 405, "unimplemented"],
  ])("answers %s with clean JSON", async (_name, method, path, status, code) => {
    const response = await fetch(new URL(path, dq.url), {
      method,
      body: method === "GET" ? undefined : "{",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code, message: expect.any(String) });
  });

  it("answers an unknown gRPC method with UNIMPLEMENTED", async () => {
    const grpcJs = grpcJsClient(dq.url);
    try {
      const error = await grpcJs.raw("/no.Such/Method").catch((e: unknown) => e);
      expect((error as { code?: number }).code).toBe(12);
    } finally {
      grpcJs.close();
    }
  });

  it("is still serving after all of the above", async () => {
    expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
    const answer = await legacyCall(dq.url, "/push", { ...job, id: "after", topic: "after" });
    expect(answer.body.code).toBe(0);
    const popped = await legacyCall(dq.url, "/pop", { topic: "after", timeout: 1 });
    expect(popped.body.data).toMatchObject({ id: "after" });
  });
});
