/**
 * `npm run bench`: starts a private redis-server, the delay-queue server and
 * the bare ceiling as separate processes, runs the scenarios, prints a table
 * on stdout (progress on stderr) and writes bench/results/<timestamp>.json.
 * See docs/PERFORMANCE.md.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type Ceiling, startCeiling } from "./lib/ceiling.js";
import { installReaper, killAllSync } from "./lib/children.js";
import { type BenchConfig, type Protocol, parseConfig, scenarioNames } from "./lib/config.js";
import { type BenchContext, buildContext } from "./lib/context.js";
import { type ProfileSummary, renderProfile, summarizeProfile } from "./lib/cpuprofile.js";
import { hasH2load } from "./lib/load-h2load.js";
import { describeMachine, raiseFileLimit } from "./lib/machine.js";
import { IdSequence } from "./lib/messages.js";
import { progress } from "./lib/progress.js";
import { pushLoad } from "./lib/push-load.js";
import { type BenchRedis, startRedis } from "./lib/redis.js";
import { type BenchServer, repoRoot, startServer } from "./lib/server.js";
import { renderTable, renderTargets } from "./lib/table.js";
import { batchScenario } from "./scenarios/batch.js";
import { drainScenario } from "./scenarios/drain.js";
import { latenessScenario } from "./scenarios/lateness.js";
import { longPollScenario } from "./scenarios/longpoll.js";
import { mixedScenario } from "./scenarios/mixed.js";
import { pushScenario } from "./scenarios/push.js";
import { roundTripScenario } from "./scenarios/roundtrips.js";
import { scaleScenario } from "./scenarios/scale.js";

type Scenario = (ctx: BenchContext) => Promise<void>;

const scenarios: Record<(typeof scenarioNames)[number], Scenario> = {
  push: pushScenario,
  batch: batchScenario,
  drain: drainScenario,
  mixed: mixedScenario,
  lateness: latenessScenario,
  scale: scaleScenario,
  longpoll: longPollScenario,
  roundtrips: roundTripScenario,
};

async function main(): Promise<number> {
  installReaper();
  const config = parseConfig(process.argv.slice(2), process.env);
  const selected = scenarioNames.filter(
    (name) => config.only.length === 0 || config.only.includes(name),
  );
  const started = new Date();
  const t0 = performance.now();
  const machine = describeMachine();
  const loadBefore = loadavg();
  if (selected.includes("longpoll")) {
    const limit = raiseFileLimit(config.longPolls * 2 + 2048);
    if (limit < config.longPolls + 1024) {
      progress(`open-files limit is ${limit}: long-polls capped`);
      config.longPolls = Math.max(100, limit - 1024);
    }
  }
  progress(`scenarios: ${selected.join(", ")}${config.quick ? " (quick)" : ""}`);

  let redis: BenchRedis | undefined;
  let server: BenchServer | undefined;
  let ceiling: Ceiling | undefined;
  const failures: { scenario: string; error: string }[] = [];
  let profile: ProfileSummary | undefined;
  let ctx: BenchContext | undefined;
  try {
    const ownRedis = await startRedis({ aof: config.aof });
    redis = ownRedis;
    progress(
      `redis-server ${redis.version} on port ${redis.port}${config.aof ? " (AOF everysec)" : " (no persistence)"}`,
    );
    ceiling = await startCeiling();
    const profileDir = config.cpuProf ? mkdtempSync(join(tmpdir(), "dq-bench-prof-")) : undefined;
    server = await launchServer(config, redis, profileDir);
    progress(`server: ${server.entry} on ${server.url}`);
    const h2load = await hasH2load();
    if (!h2load) progress("h2load not found (Debian: nghttp2-client): gRPC load uses node:http2");
    const ceilingIds = new IdSequence("c-");
    ctx = buildContext({
      config,
      redis,
      server,
      ceiling,
      hasH2load: h2load,
      launchServer: () => launchServer(config, ownRedis),
      measureCeiling: (context: BenchContext, protocol: Protocol, c: number) =>
        pushLoad(context, protocol, "ceiling", c, config.durationMs, {
          ids: ceilingIds,
          topic: "ceiling",
          delayS: 3600,
        }),
    });
    for (const name of selected) {
      const scenarioT0 = performance.now();
      progress(`── ${name}`);
      try {
        await scenarios[name](ctx);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        progress(`${name} failed: ${message}`);
        failures.push({ scenario: name, error: message });
        ctx.rows.push({ scenario: name, case: "FAILED", notes: message.split("\n")[0] ?? "" });
      }
      progress(`${name} took ${((performance.now() - scenarioT0) / 1000).toFixed(1)} s`);
      if (name === selected[0] && profileDir) {
        progress("stopping the profiled server; a fresh one serves the rest");
        await ctx.restartServer();
        const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
        if (file) {
          profile = summarizeProfile(join(profileDir, file));
          const kept = join(repoRoot, "bench", "results", `${stamp(started)}-server.cpuprofile`);
          copyFileSync(join(profileDir, file), kept);
          rmSync(profileDir, { recursive: true, force: true });
          progress(`profile saved as ${kept}`);
        }
      }
    }
  } finally {
    progress("stopping processes");
    await ctx?.server.stop().catch(() => {});
    if (!ctx) await server?.stop().catch(() => {});
    await ceiling?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    killAllSync();
  }

  const rows = ctx?.rows ?? [];
  const table = renderTable(rows);
  process.stdout.write(`\n${table}\n\nTargets:\n${renderTargets(rows)}\n`);
  if (profile) process.stdout.write(`\n${renderProfile(profile)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`\nTotal ${seconds.toFixed(0)} s.\n`);
  const dir = join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp(started)}${config.quick ? "-quick" : ""}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: started.toISOString(),
        seconds,
        machine,
        loadAverage: { before: loadBefore, after: loadavg() },
        redis: redis && { version: redis.version, args: redis.args },
        server: ctx && { entry: ctx.server.entry, env: ctx.server.env },
        config,
        rows,
        table,
        profile,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  progress(`results: ${file}`);
  return failures.length > 0 ? 1 : 0;
}

function launchServer(
  config: BenchConfig,
  redis: BenchRedis,
  cpuProfDir?: string,
): Promise<BenchServer> {
  return startServer({
    redisPort: redis.port,
    entry: config.entry,
    ...(cpuProfDir ? { cpuProfDir } : {}),
    env: { DQ_BUCKET_SIZE: String(config.shards) },
    nodeArgs: config.serverNodeArgs,
    logFile: config.serverLog,
  });
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    killAllSync();
    process.exit(1);
  },
);
