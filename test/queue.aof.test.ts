import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createDelayQueue, type DelayQueue, type Job } from "../src/queue/index.js";
import { checkInvariants, externalRedis, uniquePrefix, withRedis } from "./harness/index.js";
import { redisNow } from "./harness/redis-time.js";
import { waitUntil } from "./harness/wait.js";

const SHARDS = 3;
const EACH = 100;
/** Long enough that nothing delayed or reserved comes due before the restart is checked. */
const LATER_MS = 8_000;

describe("a Redis with appendonly, SIGKILLed and restarted", () => {
  const redis = withRedis({ appendonly: true, appendfsync: "always" });
  const opened: DelayQueue[] = [];

  async function open(prefix: string): Promise<DelayQueue> {
    const queue = await createDelayQueue({
      connection: redis.server.url,
      prefix,
      shards: SHARDS,
      recheckIntervalMs: 200,
    });
    opened.push(queue);
    return queue;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
  });

  it.skipIf(externalRedis)(
    "keeps every acknowledged job in its state, fires delayed ones and brings reserved ones back",
    async () => {
      const prefix = uniquePrefix("aof");
      const queue = await open(prefix);
      const range = (label: string) => Array.from({ length: EACH }, (_, i) => `${label}-${i}`);
      const push = (topic: string, id: string, delayMs: number, ttrMs: number) =>
        queue.push({ topic, id, body: `body ${id}`, delayMs, ttrMs });
      await Promise.all(range("d").map((id, i) => push("aof-d", id, LATER_MS + 10 * i, 30_000)));
      await Promise.all(range("r").map((id) => push("aof-r", id, 0, 30_000)));
      await Promise.all(range("h").map((id) => push("aof-h", id, 0, LATER_MS)));
      for (let i = 0; i < EACH; i++) expect(await queue.pop(["aof-h"])).not.toBeNull();

      const before = new Map<string, Job | null>();
      for (const id of [...range("d"), ...range("r"), ...range("h")]) {
        before.set(id, await queue.get(id));
      }
      const states = [...before.values()].map((job) => job?.state);
      expect(states.filter((s) => s === "delayed")).toHaveLength(EACH);
      expect(states.filter((s) => s === "ready")).toHaveLength(EACH);
      expect(states.filter((s) => s === "reserved")).toHaveLength(EACH);

      // Pushes keep coming while Redis dies; the acknowledged ones must survive too.
      const live = new Set<string>();
      let liveFailures = 0;
      let stopLive = false;
      const liveLoop = (async () => {
        for (let n = 0; !stopLive; n++) {
          try {
            await push("aof-l", `l-${n}`, 0, 30_000);
            live.add(`l-${n}`);
          } catch {
            liveFailures++;
            await sleep(10);
          }
        }
      })();
      await sleep(100);
      await redis.server.kill();
      await sleep(200);
      await redis.server.restart();
      // The same engine reconnects by itself.
      await waitUntil(async () => (await queue.get("d-0")) !== null, {
        timeoutMs: 10_000,
        message: "the engine to reconnect and find job d-0 again",
      });
      await sleep(200);
      stopLive = true;
      await liveLoop;

      // Nothing came due meanwhile, so every state must be exactly as before.
      const comesDue = (job: Job | null | undefined) =>
        job?.state === "delayed" ? job.dueAt : (job?.reservedUntil ?? Number.POSITIVE_INFINITY);
      const firstDue = Math.min(...[...before.values()].map(comesDue));
      expect(await redisNow(queue.redis), "the restart took too long").toBeLessThan(firstDue);
      const fresh = await open(prefix);
      for (const [id, job] of before) {
        expect(await queue.get(id)).toEqual(job);
        expect(await fresh.get(id)).toEqual(job);
      }
      for (const id of live) expect(await queue.get(id)).toMatchObject({ state: "ready" });
      const snapshot = await checkInvariants(queue.redis, prefix, SHARDS);
      expect(snapshot.violations).toEqual([]);
      const unknown = [...snapshot.jobs.keys()].filter(
        (id) => !before.has(id) && !id.startsWith("l-"),
      );
      expect(unknown).toEqual([]);

      // Ready jobs (including pushes whose reply the kill swallowed) go out at once.
      const readyIds = [...snapshot.jobs]
        .filter(([, state]) => state === "ready")
        .map(([id]) => id);
      const delivered = new Map<string, number>();
      for (;;) {
        const job = await queue.pop(["aof-r", "aof-l"], { timeoutMs: 200 });
        if (!job) break;
        expect(job.attempts).toBe(1);
        delivered.set(job.id, (delivered.get(job.id) ?? 0) + 1);
        expect(await queue.finish(job.id, job.token)).toBe("done");
      }
      expect(new Set(delivered.keys())).toEqual(new Set(readyIds));

      // Delayed jobs fire on time; reserved ones come back once their ttr ran out.
      const later = [...range("d"), ...range("h")];
      const deadline = performance.now() + LATER_MS + 10_000;
      while (later.some((id) => !delivered.has(id)) && performance.now() < deadline) {
        const job = await fresh.pop(["aof-d", "aof-h"], { timeoutMs: 1_000 });
        if (!job) continue;
        const was = before.get(job.id);
        expect(was?.state).toMatch(/^(delayed|reserved)$/);
        delivered.set(job.id, (delivered.get(job.id) ?? 0) + 1);
        expect(job.attempts).toBe((was?.attempts ?? 0) + 1);
        const handedOutAt = job.reservedUntil - job.ttrMs;
        expect(handedOutAt).toBeGreaterThanOrEqual(comesDue(was));
        expect(await fresh.finish(job.id, job.token)).toBe("done");
      }
      const duplicates = [...delivered.values()].filter((count) => count > 1).length;
      const lost = [...before.keys(), ...live].filter((id) => !delivered.has(id));
      console.log(
        `aof: pushed ${3 * EACH + live.size} (live ${live.size}, rejected ${liveFailures}), delivered ${delivered.size}, duplicates ${duplicates}, lost ${lost.length}`,
      );
      expect(duplicates).toBe(0);
      expect(lost).toEqual([]);
      expect(await fresh.pop(["aof-d", "aof-h", "aof-r", "aof-l"], { timeoutMs: 300 })).toBeNull();
      const after = await checkInvariants(queue.redis, prefix, SHARDS);
      expect(after.violations).toEqual([]);
      expect(after.jobs.size).toBe(0);
    },
  );
});
