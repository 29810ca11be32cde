import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { frames, mutateBinary, mutateJson } from "../harness/fuzz-inputs.js";
import { encodings, pushedJobs, rpcTargets, type WireMessage } from "../harness/fuzz-rpc.js";
import { FuzzTally, inParallel } from "../harness/fuzz-tally.js";
import { checkInvariants, uniquePrefix, withRedis } from "../harness/index.js";
import { strayKeys } from "../harness/keyspace.js";
import { createRng, fuzzSeed, type Rng } from "../harness/prng.js";
import { withServer } from "../harness/server.js";

const CASES = 2_000;
const SHARDS = 3;
const HUGE = 1024 * 1024 + 100 * 1024;

const redis = withRedis();
const prefix = uniquePrefix("fz-connect");
const dq = withServer(redis, {
  queue: { prefix, shards: SHARDS, limits: { maxPopTimeoutMs: 1_000 } },
});

/** Codes that mean the server broke, not the request. */
const brokenCodes = new Set(["internal", "unknown", "data_loss"]);
/** Codes a 5xx status may carry without the server being broken. */
const fineOn5xx = new Set(["unimplemented", "deadline_exceeded"]);

interface Case {
  method: "POST" | "GET";
  path: string;
  json: boolean;
  headers: Record<string, string>;
  body: Buffer;
  /** The bytes the server decodes, when the envelope and encoding are sound. */
  gzip: boolean;
}

function makeCase(rng: Rng): Case {
  const target = rng.pick(rpcTargets.filter((t) => !t.grpcOnly));
  const json = rng.chance(0.5);
  const valid = encodings(target, rng);
  let body = json ? mutateJson(rng, valid.json, HUGE) : mutateBinary(rng, valid.binary);
  const headers: Record<string, string> = { "connect-protocol-version": "1" };
  let contentType = json ? "application/json" : "application/proto";
  if (rng.chance(0.15)) {
    // A streaming content type on a unary method, with (often bad) envelopes.
    contentType = json ? "application/connect+json" : "application/connect+proto";
    body = frames(rng, body);
  } else if (rng.chance(0.1)) {
    contentType = rng.pick([
      "text/plain",
      "",
      "application/json; charset=utf-16",
      "application/xml",
    ]);
  }
  if (contentType !== "") headers["content-type"] = contentType;
  if (rng.chance(0.1)) delete headers["connect-protocol-version"];
  if (rng.chance(0.05))
    headers["connect-timeout-ms"] = rng.pick(["abc", "-1", "0", "1", "9".repeat(20)]);
  let gzip = false;
  if (rng.chance(0.1)) {
    headers["content-encoding"] = rng.pick(["gzip", "br", "zz"]);
    gzip = headers["content-encoding"] === "gzip" && rng.chance(0.5);
    if (gzip) body = gzipSync(body);
  }
  const method = rng.chance(0.03) ? "GET" : "POST";
  return { method, path: target.path, json, headers, body, gzip };
}

it(`answers ${CASES} random and mutated Connect requests (JSON and binary) with a proper code`, async () => {
  const seed = fuzzSeed();
  const rng = createRng(seed);
  const cases = Array.from({ length: CASES }, () => makeCase(rng));
  const tally = new FuzzTally();
  await inParallel(cases, 12, async (c, index) => {
    const what = `${c.method} ${c.path} ${JSON.stringify(c.headers)}`;
    let status: number;
    let answer: WireMessage;
    let text: string;
    try {
      const url = new URL(c.path, dq.url);
      if (c.method === "GET")
        url.search = `?encoding=json&message=${encodeURIComponent(c.body.toString("latin1"))}`;
      const response = await fetch(url, {
        method: c.method,
        headers: c.headers,
        body: c.method === "GET" ? undefined : c.body,
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      // fetch has undone any content-encoding already.
      const bytes = Buffer.from(await response.arrayBuffer());
      const json = response.headers.get("content-type")?.startsWith("application/json") ?? false;
      answer = { bytes, json, gzip: false };
      text = bytes.toString("utf8");
    } catch (error) {
      return tally.fail(index, what, `no clean answer: ${(error as Error).message}`);
    }
    const method = c.path.slice(c.path.lastIndexOf("/") + 1);
    if (status === 200) {
      tally.count(`${method} ok`);
      const request = { bytes: c.body, json: c.json, gzip: c.gzip };
      const jobs = pushedJobs(c.path, request, answer);
      if (typeof jobs === "string") return tally.fail(index, what, jobs);
      for (const job of jobs) tally.ackPush(job.id, job.topic);
      return;
    }
    let code: unknown;
    try {
      code = (JSON.parse(text) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    // Node's own refusals (431: a query past the header limit; 415) carry no body: fine for a 4xx.
    if (code === undefined && status >= 500) {
      return tally.fail(index, what, `HTTP ${status} without an error body: ${text}`);
    }
    const name = String(code ?? "no body");
    if (brokenCodes.has(name) || (status >= 500 && !fineOn5xx.has(name))) {
      return tally.fail(index, what, `HTTP ${status} ${text}`);
    }
    tally.count(`${method} HTTP ${status} ${name}`);
  });
  console.log(tally.summary("fuzz connect", seed));
  expect(tally.failures).toEqual([]);

  expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
  const reader = redis.server.client();
  try {
    expect(await strayKeys(reader, prefix, SHARDS, tally.acked)).toEqual([]);
    expect((await checkInvariants(reader, prefix, SHARDS)).violations).toEqual([]);
  } finally {
    reader.disconnect();
  }
});
