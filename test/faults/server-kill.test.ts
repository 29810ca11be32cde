import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../sdk/index.js";
import { DeliveryLog } from "../harness/delivery-log.js";
import { checkInvariants, externalRedis, uniquePrefix, withRedis } from "../harness/index.js";
import { produce, startConsumer } from "../harness/sdk-load.js";
import { killServerProcesses, startServerProcess } from "../harness/server-process.js";
import { settleDeliveries } from "../harness/settle.js";
import { waitUntil } from "../harness/wait.js";

const SHARDS = 3;
const CYCLES = 6;
/** Short, so that hand-outs lost with a killed server come back soon. */
const TTR = 2;
const topic = "kill";

describe.skipIf(externalRedis)("a server process SIGKILLed again and again under load", () => {
  const redis = withRedis({ appendonly: true, appendfsync: "always" });
  afterAll(killServerProcesses);

  it("delivers every acknowledged push, and never holds a job for two consumers at once", async () => {
    const prefix = uniquePrefix("kill");
    const server = await startServerProcess({ redis: redis.server.url, prefix, shards: SHARDS });
    const log = new DeliveryLog();
    const client = (protocol: "connect" | "grpc" | "grpc-web", binary = true) =>
      createClient({ baseUrl: server.url, protocol, binary });

    const consumers = [
      startConsumer(client("grpc"), log, { topics: [topic], name: "grpc" }),
      startConsumer(client("connect", false), log, { topics: [topic], name: "connect-json" }),
      startConsumer(client("grpc-web"), log, { topics: [topic], name: "grpc-web" }),
    ];
    const producing = new AbortController();
    const producers = [
      produce(client("connect"), log, {
        topic,
        ttr: TTR,
        idPrefix: "c-",
        signal: producing.signal,
      }),
      produce(client("grpc"), log, { topic, ttr: TTR, idPrefix: "g-", signal: producing.signal }),
    ];

    const restartMs: number[] = [];
    const reader = redis.server.client();
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // Let the new process take load (pops parked, pushes and finishes in flight), then kill it.
        const before = log.acked.size;
        await waitUntil(() => log.acked.size >= before + 50, { timeoutMs: 15_000 });
        await sleep(100 + Math.random() * 400);
        await server.kill();
        const started = performance.now();
        await server.restart();
        restartMs.push(Math.round(performance.now() - started));
      }
      await sleep(500);
      producing.abort();
      const stats = await Promise.all(producers);

      await settleDeliveries({ log, reader, prefix, shards: SHARDS, consumers });

      const report = log.report();
      console.log(
        log.summary(`server SIGKILL x${CYCLES}`, {
          "failed pushes": stats.reduce((sum, s) => sum + s.failed, 0),
          "consumer errors": consumers.reduce((sum, c) => sum + c.errors, 0),
          "restart ms": restartMs.join("/"),
        }),
      );
      expect(log.overlaps()).toEqual([]);
      expect(report.lost).toBe(0);
      expect(report.pushed).toBeGreaterThanOrEqual(CYCLES * 50);
      const snapshot = await checkInvariants(reader, prefix, SHARDS);
      expect(snapshot.violations).toEqual([]);
    } finally {
      producing.abort();
      reader.disconnect();
      await Promise.all(consumers.map(({ consumer }) => consumer.stop()));
      await server.stop();
    }
  });
});
