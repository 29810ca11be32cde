import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../../sdk/index.js";
import { DeliveryLog } from "../harness/delivery-log.js";
import { checkInvariants, externalRedis, uniquePrefix, withRedis } from "../harness/index.js";
import { type ProducerStats, produce, startConsumer } from "../harness/sdk-load.js";
import {
  killServerProcesses,
  type ServerProcess,
  startServerProcess,
} from "../harness/server-process.js";
import { settleDeliveries } from "../harness/settle.js";
import { waitUntil } from "../harness/wait.js";

const SHARDS = 3;
const topic = "multi";
const protocols = ["connect", "grpc", "grpc-web"] as const;

/** Producers and consumers through every server: server i gets `protocols[i]` clients. */
function loadOn(servers: ServerProcess[], log: DeliveryLog, ttr: number, signal: AbortSignal) {
  const producers: Promise<ProducerStats>[] = [];
  const consumers = servers.map((server, i) => {
    const protocol = protocols[i % protocols.length];
    const client = createClient({ baseUrl: server.url, protocol });
    producers.push(produce(client, log, { topic, ttr, idPrefix: `s${i}-`, signal }));
    return startConsumer(client, log, { topics: [topic], name: `server ${i}` });
  });
  return { producers, consumers };
}

/** How many deliveries each consumer got, by name. */
function perConsumer(log: DeliveryLog): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const list of log.deliveries.values()) {
    for (const { consumer } of list) counts[consumer] = (counts[consumer] ?? 0) + 1;
  }
  return counts;
}

describe.skipIf(externalRedis)("several server processes on one Redis", () => {
  const redis = withRedis();
  afterAll(killServerProcesses);

  it("delivers every job exactly once through two servers when consumers finish within ttr", async () => {
    const prefix = uniquePrefix("multi2");
    const options = { redis: redis.server.url, prefix, shards: SHARDS };
    const servers = await Promise.all([startServerProcess(options), startServerProcess(options)]);
    const log = new DeliveryLog();
    const producing = new AbortController();
    const { producers, consumers } = loadOn(servers, log, 30, producing.signal);
    const reader = redis.server.client();
    try {
      await waitUntil(() => log.acked.size >= 1_500, { timeoutMs: 20_000 });
      producing.abort();
      const stats = await Promise.all(producers);
      await settleDeliveries({ log, reader, prefix, shards: SHARDS, consumers });

      const report = log.report();
      const byConsumer = perConsumer(log);
      console.log(
        log.summary("two servers", {
          "failed pushes": stats.reduce((sum, s) => sum + s.failed, 0),
          ...byConsumer,
        }),
      );
      expect(report).toMatchObject({ lost: 0, duplicates: 0, overlaps: 0, unacknowledged: 0 });
      expect(report.delivered).toBe(report.pushed);
      const retried = [...log.deliveries.values()].flat().filter((d) => d.attempts !== 1);
      expect(retried).toEqual([]);
      expect(Object.values(byConsumer).every((n) => n > 0)).toBe(true);
      const snapshot = await checkInvariants(reader, prefix, SHARDS);
      expect(snapshot.violations).toEqual([]);
      expect(snapshot.jobs.size).toBe(0);
    } finally {
      producing.abort();
      reader.disconnect();
      await Promise.all(consumers.map(({ consumer }) => consumer.stop()));
      await Promise.all(servers.map((server) => server.stop()));
    }
  });

  it("loses nothing when one of three servers is SIGKILLed mid-load", async () => {
    const prefix = uniquePrefix("multi3");
    const options = { redis: redis.server.url, prefix, shards: SHARDS };
    const servers = await Promise.all([1, 2, 3].map(() => startServerProcess(options)));
    const log = new DeliveryLog();
    const producing = new AbortController();
    // A short ttr, so that what the dead server held comes back soon.
    const { producers, consumers } = loadOn(servers, log, 2, producing.signal);
    const reader = redis.server.client();
    const victim = servers[2] as ServerProcess;
    try {
      await waitUntil(() => log.acked.size >= 600, { timeoutMs: 20_000 });
      await victim.kill();
      const atKill = log.acked.size;
      await waitUntil(() => log.acked.size >= atKill + 600, { timeoutMs: 20_000 });
      producing.abort();
      const stats = await Promise.all(producers);
      await waitUntil(() => log.missing().length === 0, {
        timeoutMs: 20_000,
        message: () => `every acknowledged push delivered (${log.missing().length} missing)`,
      });
      await waitUntil(async () => (await checkInvariants(reader, prefix, SHARDS)).jobs.size === 0, {
        timeoutMs: 15_000,
        message: "Redis to hold no job",
      });
      await sleep(300);
      await Promise.all(consumers.map(({ consumer }) => consumer.stop()));

      const report = log.report();
      console.log(
        log.summary("three servers, one SIGKILLed", {
          "acked before kill": atKill,
          "failed pushes": stats.reduce((sum, s) => sum + s.failed, 0),
          ...perConsumer(log),
        }),
      );
      expect(log.overlaps()).toEqual([]);
      expect(report.lost).toBe(0);
      // Only jobs whose finish the killed server swallowed come twice: one per consumer loop.
      expect(report.duplicates).toBeLessThanOrEqual(4);
      expect((await checkInvariants(reader, prefix, SHARDS)).violations).toEqual([]);
    } finally {
      producing.abort();
      reader.disconnect();
      await Promise.all(consumers.map(({ consumer }) => consumer.stop()));
      await Promise.all(servers.map((server) => server.stop()));
    }
  });
});
