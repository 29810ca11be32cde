/**
 * 1. Push throughput and latency at each concurrency over legacy JSON,
 * Connect (binary) and gRPC, each point followed by the bare ceiling with
 * the same generator and connections; then the library-level peer: the
 * engine in-process against BullMQ's Queue.add, same delayed jobs.
 */
import { bullJobOptions, bullPeer } from "../lib/bullmq.js";
import type { Protocol } from "../lib/config.js";
import type { BenchContext } from "../lib/context.js";
import { runH2 } from "../lib/load-h2.js";
import { runLoops } from "../lib/load-inproc.js";
import {
  commandsPer,
  cpuNote,
  failureNote,
  joinNotes,
  measurePair,
  scriptCallsPer,
} from "../lib/measure.js";
import { IdSequence, makeBody, PushTemplate, SERVICE_PATH } from "../lib/messages.js";
import { progress } from "../lib/progress.js";
import { grpcGenerator, pushLoad } from "../lib/push-load.js";

const TOPIC = "bench-push";
const DELAY_S = 3600;

const labels: Record<Protocol, string> = {
  legacy: "legacy JSON (HTTP/1.1)",
  connect: "Connect binary (HTTP/1.1)",
  grpc: "gRPC (h2c)",
};

export async function pushScenario(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  for (const protocol of config.protocols) {
    await ctx.reset();
    await pushSentinel(ctx);
    const ids = new IdSequence(`p${protocol[0]}-`);
    if (protocol === "grpc") await checkGrpcPush(ctx, ids);
    progress(`push ${protocol}: warm-up`);
    await pushLoad(ctx, protocol, "server", 16, config.warmupMs, {
      ids,
      topic: TOPIC,
      delayS: DELAY_S,
    });
    await pushLoad(ctx, protocol, "ceiling", 16, config.warmupMs, {
      ids,
      topic: TOPIC,
      delayS: DELAY_S,
    });
    for (const c of config.concurrency) {
      progress(
        `push ${protocol} C=${c}: server, then ceiling, ${config.rounds} × ${config.durationMs / 1000} s`,
      );
      const opts = { ids, topic: TOPIC, delayS: DELAY_S };
      const pair = await measurePair(
        ctx,
        config.rounds,
        () => pushLoad(ctx, protocol, "server", c, config.durationMs, opts),
        () => pushLoad(ctx, protocol, "ceiling", c, config.durationMs, opts),
      );
      const { server, ceiling, ratio } = pair;
      ctx.recordCeiling(protocol, c, ceiling);
      const scripts = scriptCallsPer(server.cost, server.responses);
      const gated = protocol === "legacy" && c === 64;
      ctx.rows.push({
        scenario: "push",
        case: `${labels[protocol]} C=${c}`,
        rate: server.rate,
        unit: "req/s",
        p50: server.latency.p50,
        p99: server.latency.p99,
        max: server.latency.max,
        ratio,
        ratioOf: "%of ceiling",
        ...(gated ? { target: "≥ 60% of ceiling", met: ratio >= 0.6 } : {}),
        notes: joinNotes(
          protocol === "grpc" ? grpcGenerator(ctx) : "autocannon",
          `${scripts.toFixed(2)} script calls/push, ${commandsPer(server.cost, server.responses).toFixed(1)} cmds/push`,
          cpuNote(server.cost),
          pair.ratios.length > 1 &&
            `rounds ${pair.ratios.map((r) => `${(r * 100).toFixed(0)}%`).join("/")}`,
          failureNote(server),
        ),
        data: { server, ceiling, ratios: pair.ratios, waitedMs: pair.waitedMs },
      });
      ctx.rows.push({
        scenario: "push",
        case: `  ceiling (bare ${protocol === "grpc" ? "node:http2" : "fastify"}) C=${c}`,
        rate: ceiling.rate,
        unit: "req/s",
        p50: ceiling.latency.p50,
        p99: ceiling.latency.p99,
        max: ceiling.latency.max,
        notes: joinNotes(
          cpuNote(ceiling.cost, ["ceiling", "harness", "other"]),
          failureNote(ceiling),
        ),
      });
      // h2load does not read grpc-status; pushes of one turn share a script call, so only
      // none at all says the calls failed.
      if (protocol === "grpc" && ctx.hasH2load && scripts === 0) {
        progress("push grpc: no script calls at all: the calls are failing");
      }
    }
    if (
      protocol === "legacy" &&
      !config.quick &&
      ctx.hasH2load &&
      config.protocols.includes("grpc")
    ) {
      // h2load sends one body, so its gRPC pushes all replace one job: is that cheaper?
      const c = Math.max(...config.concurrency);
      progress(`push legacy C=${c}, same id every call (calibrates the h2load gRPC rows)`);
      const same = await pushLoad(ctx, "legacy", "server", c, config.durationMs, {
        ids,
        topic: TOPIC,
        delayS: DELAY_S,
        sameId: true,
      });
      ctx.rows.push({
        scenario: "push",
        case: `  legacy C=${c}, same id every call`,
        rate: same.rate,
        unit: "req/s",
        p50: same.latency.p50,
        p99: same.latency.p99,
        max: same.latency.max,
        notes: joinNotes("replacing push, as the gRPC rows with h2load", failureNote(same)),
      });
    }
  }
  if (config.bullmq) await libraryPeer(ctx);
}

/** An earlier-due job, so that no measured push becomes the head of its due set (no PUBLISH). */
async function pushSentinel(ctx: BenchContext): Promise<void> {
  const res = await fetch(`${ctx.server.url}/push`, {
    method: "POST",
    body: JSON.stringify({ topic: TOPIC, id: "sentinel", delay: DELAY_S - 600, ttr: 60, body: "" }),
  });
  const reply = (await res.json()) as { code: number };
  if (reply.code !== 0) throw new Error(`sentinel push failed: ${JSON.stringify(reply)}`);
}

/** h2load checks no gRPC status: make sure the message it will send is accepted. */
async function checkGrpcPush(ctx: BenchContext, ids: IdSequence): Promise<void> {
  const template = new PushTemplate(TOPIC, ids, DELAY_S, makeBody(ctx.config.bodyBytes));
  const check = await runH2({
    url: ctx.server.url,
    protocol: "grpc",
    sessions: 1,
    concurrency: 1,
    durationMs: 5_000,
    amount: 1,
    calls: [{ path: `${SERVICE_PATH}/Push`, body: () => template.build(ids.id()) }],
  });
  if (check.failures + check.errors > 0) throw new Error(`gRPC push refused: ${check.sample}`);
}

/** Library level, same Redis: the engine's push against BullMQ's add, same delayed jobs. */
async function libraryPeer(ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const body = makeBody(config.bodyBytes);
  await ctx.reset();
  const engine = await ctx.engine({ prefix: "dqe" });
  const peer = bullPeer(ctx, "bench-push");
  try {
    for (const c of config.concurrency) {
      progress(`push library level C=${c}: engine, then BullMQ`);
      const ids = new IdSequence(`e${c}-`);
      let bullSeq = 0;
      const pair = await measurePair(
        ctx,
        config.rounds,
        () =>
          runLoops({
            concurrency: c,
            durationMs: config.durationMs,
            call: async () => {
              await engine.push({
                topic: TOPIC,
                id: ids.id(),
                body,
                delayMs: DELAY_S * 1000,
                ttrMs: 60_000,
              });
              return true;
            },
          }),
        () =>
          runLoops({
            concurrency: c,
            durationMs: config.durationMs,
            call: async () => {
              await peer.queue.add(
                "job",
                { body },
                { ...bullJobOptions, jobId: `b${c}-${bullSeq++}`, delay: DELAY_S * 1000 },
              );
              return true;
            },
          }),
      );
      const { server: dq, ceiling: bull, ratio } = pair;
      ctx.rows.push({
        scenario: "push",
        case: `library: engine push C=${c}`,
        rate: dq.rate,
        unit: "jobs/s",
        p50: dq.latency.p50,
        p99: dq.latency.p99,
        max: dq.latency.max,
        ratio,
        ratioOf: "BullMQ",
        target: "ahead of BullMQ",
        met: ratio > 1,
        notes: joinNotes(
          `${commandsPer(dq.cost, dq.responses).toFixed(1)} cmds/push`,
          cpuNote(dq.cost, ["redis", "harness", "other"]),
          failureNote(dq),
        ),
        data: { dq, bull },
      });
      ctx.rows.push({
        scenario: "push",
        case: `  BullMQ Queue.add (delayed) C=${c}`,
        rate: bull.rate,
        unit: "jobs/s",
        p50: bull.latency.p50,
        p99: bull.latency.p99,
        max: bull.latency.max,
        notes: joinNotes(
          `${scriptCallsPer(bull.cost, bull.responses).toFixed(2)} script calls/add, ${commandsPer(bull.cost, bull.responses).toFixed(1)} cmds/add`,
          cpuNote(bull.cost, ["redis", "harness", "other"]),
          failureNote(bull),
        ),
      });
    }
  } finally {
    await peer.close();
    await engine.close();
  }
}
