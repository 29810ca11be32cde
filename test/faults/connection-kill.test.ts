import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../sdk/index.js";
import { createDelayQueue, type DelayQueue } from "../../src/queue/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { uniquePrefix, withRedis } from "../harness/index.js";
import { legacyCall } from "../harness/legacy.js";
import { startTestServer } from "../harness/server.js";
import { waitUntil } from "../harness/wait.js";

const ROUNDS = 5;
/** How soon a parked pop must get a job pushed after the kill, with the 1 s re-check off. */
const PROMPT_MS = 2_000;

/**
 * Connections are cut with `CLIENT KILL TYPE normal` (command connections) or
 * `TYPE pubsub` (notification subscribers) while pops are parked on server A;
 * a job pushed right after must reach a parked pop promptly. A's safety-net
 * re-check is off, so only reconnects, re-subscribing and its resync can save it.
 * Jobs are pushed through engine B (a second process, as far as the queue can
 * tell: own connections, own origin) or through A itself.
 */
describe("Redis connections killed during long-polls", () => {
  const redis = withRedis();
  const prefix = uniquePrefix("ckill");
  let server: RunningServer;
  let other: DelayQueue;

  beforeAll(async () => {
    server = await startTestServer(redis, { queue: { prefix, recheckIntervalMs: 60_000 } });
    other = await createDelayQueue({ connection: redis.server.url, prefix });
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
  });

  const cases: [string, string[], "B" | "A", number][] = [
    ["pubsub, push at once (news lost: resync)", ["pubsub"], "B", 0],
    ["pubsub, push after the re-subscribe", ["pubsub"], "B", 300],
    ["normal, push through B", ["normal"], "B", 0],
    ["normal, push through A", ["normal"], "A", 0],
    ["normal and pubsub at once", ["normal", "pubsub"], "B", 0],
  ];

  it.each(cases)("recovers parked pops: %s", async (label, types, via, pause) => {
    const admin = redis.server.client();
    const sdk = createClient({ baseUrl: server.url });
    const grpc = createClient({ baseUrl: server.url, protocol: "grpc" });
    const latencies: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const topic = `${types.join("-")}-${via}-${pause}-${round}`;
        const pops = [
          sdk.pop({ topics: [topic], timeout: 20 }).then((job) => job?.id),
          grpc.pop({ topics: [topic], timeout: 20 }).then((job) => job?.id),
          legacyCall(server.url, "/pop", { topic, timeout: 20 }).then(
            (answer) => (answer.body.data as { id?: string } | null)?.id,
          ),
        ];
        await waitUntil(() => server.queue.waiting >= 3, { message: "three parked pops" });
        for (const type of types) await admin.client("KILL", "TYPE", type);
        await sleep(pause);
        const ids = [0, 1, 2].map((n) => `${topic}-${n}`);
        const pushedAt = performance.now();
        for (const id of ids) {
          const job = { topic, id, body: id, delayMs: 0, ttrMs: 30_000 };
          if (via === "B") await other.push(job);
          else await sdk.push({ topic, id, body: id, ttr: 30 });
        }
        const got = await Promise.all(pops);
        latencies.push(Math.round(performance.now() - pushedAt));
        expect(new Set(got)).toEqual(new Set(ids));
      }
    } finally {
      admin.disconnect();
    }
    console.log(`client kill ${label}: ${ROUNDS} rounds, pop answered after ${latencies} ms`);
    expect(Math.max(...latencies)).toBeLessThan(PROMPT_MS);
  });
});
