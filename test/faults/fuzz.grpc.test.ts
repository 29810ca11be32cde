import type { ClientHttp2Session } from "node:http2";
import { gzipSync } from "node:zlib";
import { afterAll, expect, it } from "vitest";
import { frames, mutateBinary, mutateJson } from "../harness/fuzz-inputs.js";
import {
  encodings,
  pushedJobs,
  rpcTargets,
  unframe,
  unframeAnswer,
  type WireMessage,
} from "../harness/fuzz-rpc.js";
import { FuzzTally, inParallel } from "../harness/fuzz-tally.js";
import { brokenGrpcCodes, grpcStatusOf, grpcWebStatusOf } from "../harness/grpc-status.js";
import { checkInvariants, uniquePrefix, withRedis } from "../harness/index.js";
import { strayKeys } from "../harness/keyspace.js";
import { createRng, fuzzSeed, type Rng } from "../harness/prng.js";
import { h2Request, h2Session } from "../harness/raw-http2.js";
import { withServer } from "../harness/server.js";

const CASES = 2_000;
const SHARDS = 3;
const HUGE = 1024 * 1024 + 100 * 1024;
const CONCURRENCY = 12;

const redis = withRedis();
const prefix = uniquePrefix("fz-grpc");
const dq = withServer(redis, {
  queue: { prefix, shards: SHARDS, limits: { maxPopTimeoutMs: 1_000 } },
});

interface Case {
  web: boolean;
  path: string;
  json: boolean;
  headers: Record<string, string>;
  /** What goes on the wire: length-prefixed frames, often malformed. */
  body: Buffer;
}

function makeCase(rng: Rng): Case {
  const target = rng.pick(rpcTargets);
  const web = !target.grpcOnly && rng.chance(0.4);
  const json = rng.chance(0.2);
  const valid = encodings(target, rng);
  let payload = json ? mutateJson(rng, valid.json, HUGE) : mutateBinary(rng, valid.binary);
  const base = web ? "application/grpc-web" : "application/grpc";
  const headers: Record<string, string> = {
    "content-type": json ? `${base}+json` : rng.pick([base, `${base}+proto`]),
  };
  if (!web && rng.chance(0.9)) headers.te = "trailers";
  if (rng.chance(0.03))
    headers["content-type"] = rng.pick([`${base}-text`, `${base}+xml`, `${base}+proto; q=1`]);
  if (rng.chance(0.05)) headers["grpc-timeout"] = rng.pick(["1x", "-1S", "99999999999S", "1n", ""]);
  let body: Buffer;
  if (rng.chance(0.1)) {
    headers["grpc-encoding"] = rng.pick(["gzip", "gzip", "br", "zz"]);
    if (headers["grpc-encoding"] === "gzip" && rng.chance(0.5)) payload = gzipSync(payload);
    const head = Buffer.alloc(5);
    head[0] = 1;
    head.writeUInt32BE(payload.length, 1);
    body = rng.chance(0.8) ? Buffer.concat([head, payload]) : frames(rng, payload);
  } else {
    body = frames(rng, payload);
  }
  return { web, path: target.path, json, headers, body };
}

/** The message of a request or answer body, as the server or client unframes it. */
function wireMessage(
  framed: { payload: Buffer; compressed: boolean } | undefined,
  json: boolean,
): WireMessage | undefined {
  return framed && { bytes: framed.payload, json, gzip: framed.compressed };
}

const sessions: ClientHttp2Session[] = [];
afterAll(() => {
  for (const session of sessions) session.close();
});

it(`answers ${CASES} random and malformed gRPC and gRPC-web requests with a proper status`, async () => {
  const seed = fuzzSeed();
  const rng = createRng(seed);
  const cases = Array.from({ length: CASES }, () => makeCase(rng));
  const tally = new FuzzTally();
  let sessionsLost = 0;
  const sessionFor = (worker: number): ClientHttp2Session => {
    const open = sessions[worker];
    if (open && !open.closed && !open.destroyed) return open;
    if (open) sessionsLost++;
    const session = h2Session(dq.url);
    sessions[worker] = session;
    return session;
  };
  await inParallel(cases, CONCURRENCY, async (c, index) => {
    const what = `${c.web ? "grpc-web" : "grpc"} ${c.path} ${JSON.stringify(c.headers)} ${c.body.length} bytes`;
    let status: number | undefined;
    let code: number | undefined;
    let message = "";
    let answerBody: Buffer = Buffer.alloc(0);
    if (c.web) {
      try {
        const response = await fetch(new URL(c.path, dq.url), {
          method: "POST",
          headers: c.headers,
          body: c.body,
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        answerBody = Buffer.from(await response.arrayBuffer());
        code = grpcWebStatusOf(response.headers, answerBody);
        message = answerBody.subarray(-200).toString("utf8");
        if (code === undefined)
          message = `${JSON.stringify([...response.headers])} ${answerBody.toString("hex")}`;
      } catch (error) {
        return tally.fail(
          index,
          what,
          `no clean answer: ${(error as Error).message} ${c.body.toString("hex")}`,
        );
      }
    } else {
      const answer = await h2Request(sessionFor(index % CONCURRENCY), c.path, c.headers, c.body);
      if (answer.error) {
        return tally.fail(index, what, `no clean end: ${answer.error} (rst ${answer.rstCode})`);
      }
      status = answer.status;
      answerBody = answer.body;
      code = grpcStatusOf(answer.headers, answer.trailers);
      message = String(answer.trailers["grpc-message"] ?? answer.headers["grpc-message"] ?? "");
      if (code === undefined && answer.rstCode !== 0) {
        return tally.fail(index, what, `reset (code ${answer.rstCode}) without a grpc-status`);
      }
    }
    const kind = c.web ? "grpc-web" : "grpc";
    const method = c.path.slice(c.path.lastIndexOf("/") + 1);
    if (status !== 200 || code === undefined) {
      // Refused before gRPC started (415 for an unknown content type): fine below 500.
      if (status === undefined || status >= 500 || (status === 200 && code === undefined)) {
        return tally.fail(index, what, `HTTP ${status} without a grpc-status ${message}`);
      }
      return tally.count(`${method} ${kind} HTTP ${status}`);
    }
    if (!Number.isInteger(code) || code < 0 || code > 16 || brokenGrpcCodes.has(code)) {
      return tally.fail(index, what, `grpc-status ${code} ${decodeURIComponent(message)}`);
    }
    tally.count(`${method} ${kind} ${code}`);
    if (code !== 0) return;
    const jobs = pushedJobs(
      c.path,
      wireMessage(unframe(c.body, c.web), c.json),
      wireMessage(unframeAnswer(answerBody, c.web), c.json),
    );
    if (typeof jobs === "string") return tally.fail(index, what, jobs);
    for (const job of jobs) tally.ackPush(job.id, job.topic);
  });
  console.log(`${tally.summary("fuzz grpc", seed)}, HTTP/2 sessions lost ${sessionsLost}`);
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
