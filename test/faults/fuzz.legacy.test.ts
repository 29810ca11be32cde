import { expect, it } from "vitest";
import { mutateJson } from "../harness/fuzz-inputs.js";
import { fuzzTopics } from "../harness/fuzz-rpc.js";
import { FuzzTally, inParallel } from "../harness/fuzz-tally.js";
import { checkInvariants, uniquePrefix, withRedis } from "../harness/index.js";
import { strayKeys } from "../harness/keyspace.js";
import { legacyCall } from "../harness/legacy.js";
import { createRng, fuzzSeed, type Rng } from "../harness/prng.js";
import { withServer } from "../harness/server.js";

const CASES = 2_000;
const SHARDS = 3;
/** Past the request limit (1 MiB + 64 KiB): refused before any parsing. */
const HUGE = 1024 * 1024 + 100 * 1024;

const redis = withRedis();
const prefix = uniquePrefix("fz-legacy");
// Pops wait at most 1 s, so that the run stays short.
const dq = withServer(redis, {
  queue: { prefix, shards: SHARDS, limits: { maxPopTimeoutMs: 1_000 } },
});

const someId = (rng: Rng) => `id-${rng.int(40)}`;
const routes: [string, (rng: Rng) => Record<string, unknown>][] = [
  [
    "/push",
    (rng) => ({
      topic: rng.pick(fuzzTopics),
      id: someId(rng),
      delay: rng.pick([0, 1, 3600]),
      ttr: rng.pick([1, 30]),
      body: rng.pick(["", "body", "é😀"]),
    }),
  ],
  ["/pop", (rng) => ({ topic: rng.pick(["fz-a", "fz-b,fz-c"]), timeout: rng.pick([0, 0.2]) })],
  ["/finish", (rng) => ({ id: someId(rng) })],
  ["/delete", (rng) => ({ id: someId(rng) })],
  ["/get", (rng) => ({ id: someId(rng) })],
];
const contentTypes = [
  undefined,
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "a/b;;;=",
  "application/json; charset=utf-16",
];

it(`answers ${CASES} random and mutated bodies on every legacy route with HTTP 200 and code 0 or 1`, async () => {
  const seed = fuzzSeed();
  const rng = createRng(seed);
  // Built up front from the seed alone, so that a failing case can be replayed.
  const cases = Array.from({ length: CASES }, () => {
    const [path, valid] = rng.pick(routes);
    const contentType = rng.pick(contentTypes);
    return { path, body: mutateJson(rng, valid(rng), HUGE), contentType };
  });
  const tally = new FuzzTally();
  await inParallel(cases, 12, async ({ path, body, contentType }, index) => {
    const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
    let answer: Awaited<ReturnType<typeof legacyCall>>;
    try {
      answer = await legacyCall(dq.url, path, body, {
        headers,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      return tally.fail(index, path, `no clean answer: ${(error as Error).message}`);
    }
    const { status, body: envelope } = answer;
    const clean =
      status === 200 &&
      (envelope.code === 0 || envelope.code === 1) &&
      typeof envelope.message === "string" &&
      "data" in envelope;
    if (!clean) return tally.fail(index, path, `HTTP ${status} ${JSON.stringify(envelope)}`);
    if (envelope.code === 1 && /internal error/.test(envelope.message)) {
      return tally.fail(index, path, envelope.message);
    }
    tally.count(`${path} code ${envelope.code}`);
    if (path === "/push" && envelope.code === 0) {
      // Read the body as the server does: UTF-8, then JSON.
      const fields = JSON.parse(body.toString("utf8")) as { id: string; topic: string };
      tally.ackPush(fields.id, fields.topic);
    }
  });
  console.log(tally.summary("fuzz legacy", seed));
  expect(tally.failures).toEqual([]);

  expect((await fetch(new URL("/healthz", dq.url))).status).toBe(200);
  const ok = await legacyCall(dq.url, "/push", { topic: "after", id: "after", delay: 0, ttr: 5 });
  expect(ok.body.code).toBe(0);
  tally.ackPush("after", "after");
  const reader = redis.server.client();
  try {
    expect(await strayKeys(reader, prefix, SHARDS, tally.acked)).toEqual([]);
    expect((await checkInvariants(reader, prefix, SHARDS)).violations).toEqual([]);
  } finally {
    reader.disconnect();
  }
});
