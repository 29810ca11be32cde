import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "../../sdk/index.js";
import { DeliveryLog } from "../harness/delivery-log.js";
import { checkInvariants, externalRedis, uniquePrefix, withRedis } from "../harness/index.js";
import { legacyCall } from "../harness/legacy.js";
import { produce, startConsumer } from "../harness/sdk-load.js";
import { killServerProcesses, startServerProcess } from "../harness/server-process.js";
import { settleDeliveries } from "../harness/settle.js";
import { waitUntil } from "../harness/wait.js";

const SHARDS = 3;
const TTR = 2;
const topic = "restart";
/** Longest a call may take to fail while Redis is down: about 1 s, plus room for a busy box. */
const FAIL_FAST_MS = 2_500;

/** Runs `call`, returning how long it took and how it settled. */
async function timed<T>(
  call: () => Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  const settled = await call().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { ms: Math.round(performance.now() - started), ...settled };
}

describe.skipIf(externalRedis)(
  "Redis SIGKILLed and restarted under load (AOF, fsync always)",
  () => {
    const redis = withRedis({ appendonly: true, appendfsync: "always" });
    afterAll(killServerProcesses);

    it("fails calls fast while it is down, then reconnects, resumes long-polls and loses nothing", async () => {
      const prefix = uniquePrefix("restart");
      const server = await startServerProcess({ redis: redis.server.url, prefix, shards: SHARDS });
      const log = new DeliveryLog();
      const connect = createClient({ baseUrl: server.url });
      // A pop parked before the load and the crash (so surely parked when Redis dies), and
      // still parked after the restart: a job pushed then must reach it.
      const parked = createClient({ baseUrl: server.url }).pop({ topics: ["resume"], timeout: 90 });
      parked.catch(() => {}); // awaited below; a rejection must not count as unhandled meanwhile
      await sleep(300);
      const grpc = createClient({ baseUrl: server.url, protocol: "grpc" });
      const consumers = [
        startConsumer(grpc, log, { topics: [topic], name: "grpc" }),
        startConsumer(createClient({ baseUrl: server.url, binary: false }), log, {
          topics: [topic],
          name: "connect-json",
        }),
      ];
      const producing = new AbortController();
      const producers = [
        produce(connect, log, { topic, ttr: TTR, idPrefix: "c-", signal: producing.signal }),
        produce(createClient({ baseUrl: server.url, protocol: "grpc-web" }), log, {
          topic,
          ttr: TTR,
          idPrefix: "w-",
          signal: producing.signal,
        }),
      ];
      const reader = redis.server.client();
      reader.on("error", () => {}); // it reconnects by itself once Redis is back
      try {
        await waitUntil(() => log.acked.size >= 200 && log.deliveries.size >= 100, {
          timeoutMs: 15_000,
        });

        await redis.server.kill();
        const failures: Record<string, number[]> = { legacy: [], connect: [], grpc: [] };
        for (let round = 0; round < 3; round++) {
          const legacy = await timed(() =>
            legacyCall(server.url, "/push", { topic: "down", id: "down", delay: 0, ttr: 5 }),
          );
          expect(legacy.value).toMatchObject({ status: 200, body: { code: 1, data: null } });
          expect(legacy.value?.body.message).toMatch(/unavailable/);
          const push = await timed(() => connect.push({ topic: "down", id: "down", ttr: 5 }));
          const pop = await timed(() => grpc.pop({ topics: ["down"], timeout: 10 }));
          expect(ConnectError.from(push.error).code).toBe(Code.Unavailable);
          expect(ConnectError.from(pop.error).code).toBe(Code.Unavailable);
          failures.legacy?.push(legacy.ms);
          failures.connect?.push(push.ms);
          failures.grpc?.push(pop.ms);
        }
        expect((await fetch(new URL("/healthz", server.url))).status).toBe(503);
        const slowest = Math.max(...Object.values(failures).flat());

        await redis.server.restart();
        const upAt = performance.now();
        const seenBefore = [...log.deliveries.values()].flat().length;
        await waitUntil(() => [...log.deliveries.values()].flat().length > seenBefore, {
          timeoutMs: 10_000,
          message: "a delivery after the restart",
        });
        const resumedMs = Math.round(performance.now() - upAt);
        await connect.push({ topic: "resume", id: "resume", body: "after", ttr: 30 });
        const pushedAt = performance.now();
        expect((await parked)?.id).toBe("resume");
        const parkedMs = Math.round(performance.now() - pushedAt);
        expect((await fetch(new URL("/healthz", server.url))).status).toBe(200);

        await sleep(1_000);
        producing.abort();
        const stats = await Promise.all(producers);
        // "resume" is pushed and never finished on purpose.
        await settleDeliveries({ log, reader, prefix, shards: SHARDS, consumers, leftover: 1 });

        const report = log.report();
        console.log(
          log.summary("redis SIGKILL + restart", {
            "failed pushes": stats.reduce((sum, s) => sum + s.failed, 0),
            "fail-fast ms (legacy/connect/grpc)": Object.values(failures)
              .map((ms) => Math.max(...ms))
              .join("/"),
            "first delivery after restart ms": resumedMs,
            "parked pop answered ms": parkedMs,
          }),
        );
        expect(slowest).toBeLessThan(FAIL_FAST_MS);
        expect(parkedMs).toBeLessThan(2_000);
        expect(log.overlaps()).toEqual([]);
        expect(report.lost).toBe(0);
        expect((await checkInvariants(reader, prefix, SHARDS)).violations).toEqual([]);
      } finally {
        producing.abort();
        reader.disconnect();
        await Promise.all(consumers.map(({ consumer }) => consumer.stop()));
        await server.stop();
      }
    });
  },
);
