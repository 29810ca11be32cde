/**
 * 7. Redis round trips per job life (push, promote, pop, finish), read from
 * MONITOR: every command a client sent, and every command scripts ran
 * (MONITOR marks those "lua"). K jobs pushed over legacy HTTP with a 1 s
 * delay, taken by parked legacy pollers that finish each. Then BullMQ, same
 * jobs, a worker. Redis `INFO commandstats` gives the same totals.
 */
import { createHash } from "node:crypto";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { readScripts } from "../../src/queue/script-loader.js";
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import { ConsumeTracker, consumeLoad } from "../lib/consume-load.js";
import type { BenchContext } from "../lib/context.js";
import { runLoops } from "../lib/load-inproc.js";
import { joinNotes } from "../lib/measure.js";
import { IdSequence, legacyPush, makeBody } from "../lib/messages.js";
import { httpPoster } from "../lib/paced.js";
import { progress, sleep } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";

const TOPIC = "bench-life";
const POLLERS = 16;

/** Counts of top-level and in-script commands, by name. */
class Tally {
  readonly top = new Map<string, number>();
  readonly lua = new Map<string, number>();

  add(map: Map<string, number>, name: string): void {
    map.set(name, (map.get(name) ?? 0) + 1);
  }

  total(map: Map<string, number>): number {
    let sum = 0;
    for (const n of map.values()) sum += n;
    return sum;
  }

  describe(map: Map<string, number>, per: number): string {
    return [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${(n / per).toFixed(2)}`)
      .join(", ");
  }
}

/** Our scripts by SHA1, as ioredis calls them: `push`, `reserve`, `finish`, `promote`, ... */
const scriptNames = new Map(
  readScripts().map((script) => [
    createHash("sha1").update(script.lua).digest("hex"),
    script.name.slice(2).toLowerCase(),
  ]),
);

/** Names an EVALSHA of ours by its SHA. */
function scriptName(args: string[]): string {
  return scriptNames.get(args[1] ?? "") ?? `evalsha/${args[2]}`;
}

/** Records MONITOR for clients other than the bench's own connections. */
async function monitor(
  ctx: BenchContext,
  ignore: Set<string>,
  ours: boolean,
): Promise<{ tally: Tally; stop: () => void }> {
  const tally = new Tally();
  const watcher = (await ctx.redis.admin.duplicate().monitor()) as unknown as Redis;
  watcher.on("monitor", (_time: string, args: string[], source: string) => {
    if (ignore.has(source)) return;
    const name = (args[0] ?? "").toLowerCase();
    if (source === "lua") tally.add(tally.lua, name);
    else tally.add(tally.top, ours && name === "evalsha" ? `evalsha ${scriptName(args)}` : name);
  });
  return { tally, stop: () => watcher.disconnect() };
}

/** Addresses of connected clients the bench itself holds (admin, monitor, its pollers' Redis none). */
async function benchAddresses(ctx: BenchContext): Promise<Set<string>> {
  const list = (await ctx.redis.admin.client("LIST")) as string;
  const self = (await ctx.redis.admin.client("ID")) as number;
  const addresses = new Set<string>();
  for (const line of list.split("\n")) {
    const id = /id=(\d+)/.exec(line)?.[1];
    const addr = /addr=(\S+)/.exec(line)?.[1];
    if (addr && Number(id) === self) addresses.add(addr);
  }
  return addresses;
}

export async function roundTripScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const k = config.lifeJobs;
  const body = makeBody(config.bodyBytes);
  await ctx.reset();
  await waitQuiet(ctx);
  progress(`round trips: ${k} jobs through push (1 s delay) → promote → pop → finish, MONITOR on`);
  const ignore = await benchAddresses(ctx);
  const { tally, stop } = await monitor(ctx, ignore, true);
  const tracker = new ConsumeTracker();
  const ids = new IdSequence("rt-");
  let pushedTop = 0;
  let pushedLua = 0;
  try {
    const consumers = consumeLoad(ctx, "legacy", {
      topic: TOPIC,
      connections: POLLERS,
      durationMs: 120_000,
      popTimeoutS: 5,
      tracker,
      idPrefix: "rt-",
      until: () => tracker.finished >= k,
    });
    const poster = httpPoster(ctx.server.url, 8);
    try {
      await runLoops({
        concurrency: 8,
        durationMs: 120_000,
        amount: k,
        call: async () => {
          const reply = await poster.post(
            "/push",
            legacyPush(TOPIC, ids.id(), 1, body),
            "application/json",
          );
          return reply.body.toString().startsWith('{"code":0');
        },
      });
    } finally {
      poster.close();
    }
    await sleep(50);
    pushedTop = tally.total(tally.top);
    pushedLua = tally.total(tally.lua);
    await consumers;
    await sleep(200);
  } finally {
    stop();
  }
  const top = tally.total(tally.top);
  const lua = tally.total(tally.lua);
  const perJob = top / k;
  let bullPerJob: number | undefined;
  let bullNote = "";
  if (config.bullmq) ({ perJob: bullPerJob, note: bullNote } = await bullLife(ctx, k, body));
  ctx.rows.push({
    scenario: "roundtrips",
    case: "delay-queue: commands sent per job life",
    rate: perJob,
    unit: "cmds/job",
    ...(bullPerJob ? { ratio: perJob / bullPerJob, ratioOf: "BullMQ's" } : {}),
    target: "≤ 3 round trips",
    met: perJob <= 3,
    notes: joinNotes(
      `${k} jobs, legacy HTTP, ${POLLERS} parked pollers`,
      `push phase ${(pushedTop / k).toFixed(2)} sent + ${(pushedLua / k).toFixed(2)} in scripts`,
      `sent: ${tally.describe(tally.top, k)}`,
      `in scripts ${(lua / k).toFixed(1)}/job: ${tally.describe(tally.lua, k)}`,
      `${tracker.duplicates} dup, ${k - tracker.popped.size} missing`,
    ),
  });
  if (bullPerJob !== undefined) {
    ctx.rows.push({
      scenario: "roundtrips",
      case: "  BullMQ: commands sent per job life",
      rate: bullPerJob,
      unit: "cmds/job",
      notes: bullNote,
    });
  }
}

async function bullLife(
  ctx: BenchContext,
  k: number,
  body: string,
): Promise<{ perJob: number; note: string }> {
  await ctx.reset();
  await waitQuiet(ctx);
  progress(`round trips: BullMQ, ${k} delayed jobs (1 s), worker concurrency ${POLLERS}`);
  const peer = bullPeer(ctx, "bench-life");
  await peer.queue.waitUntilReady();
  const ignore = await benchAddresses(ctx);
  const { tally, stop } = await monitor(ctx, ignore, false);
  let done = 0;
  try {
    peer
      .worker(async (_job: Job) => {}, POLLERS)
      .on("completed", () => {
        done++;
      });
    await runLoops({
      concurrency: 8,
      durationMs: 120_000,
      amount: k,
      call: async (n) => {
        await peer.queue.add("job", { body }, { ...bullJobOptions, jobId: `rt-${n}`, delay: 1000 });
        return true;
      },
    });
    const deadline = performance.now() + 60_000;
    while (done < k && performance.now() < deadline) await sleep(20);
    await sleep(200);
  } finally {
    stop();
    await peer.close();
  }
  const perJob = tally.total(tally.top) / k;
  return {
    perJob,
    note: joinNotes(
      `${k} jobs, Queue.add + Worker`,
      `sent: ${tally.describe(tally.top, k)}`,
      `in scripts ${(tally.total(tally.lua) / k).toFixed(1)}/job`,
      `${k - done} not completed`,
    ),
  };
}
