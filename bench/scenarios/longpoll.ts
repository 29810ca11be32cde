/**
 * 6. Long-poll capacity: 10,000 pops parked on one server process, over
 * legacy HTTP/1.1 (one socket each) and over gRPC (streams on a few HTTP/2
 * connections). Measured from outside, as the server has no metrics
 * endpoint: its RSS (/proc/<pid>/status) and the time a `GET /healthz`
 * takes, probed every 50 ms while they are parked (an event-loop lag proxy:
 * it includes one Redis PING). Then every parked pop gets a job: time to
 * answer them all.
 */
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { ClientHttp2Session } from "node:http2";
import type { BenchContext } from "../lib/context.js";
import { connect, frame, h2Headers, send } from "../lib/load-h2.js";
import { loadJobs } from "../lib/load-jobs.js";
import { joinNotes } from "../lib/measure.js";
import { IdSequence, makeBody, poppedJob, popRequest, SERVICE_PATH } from "../lib/messages.js";
import { progress, sleep } from "../lib/progress.js";
import { waitQuiet } from "../lib/quiet.js";
import { Samples, type Summary } from "../lib/stats.js";
import { fmtBytes, fmtMs } from "../lib/table.js";

const TOPIC = "bench-longpoll";
const PROBE_MS = 50;
const BATCH = 250;
const BATCH_EVERY_MS = 50;
const H2_SESSIONS = 10;

type Variant = "legacy" | "grpc";

interface Parked {
  /** Resolves with the popped id, or undefined for "no job" or an error. */
  done: Promise<string | undefined>;
}

export async function longPollScenario(ctx: BenchContext): Promise<void> {
  for (const variant of ["legacy", "grpc"] as const) {
    if (!ctx.config.protocols.includes(variant)) continue;
    // A fresh process for each: RSS growth measured on a heap that earlier scenarios (or the
    // other variant) have grown and left free reads low, even below zero.
    progress(`long-poll ${variant}: restarting the server`);
    await ctx.restartServer();
    await measure(ctx, variant);
  }
}

async function measure(ctx: BenchContext, variant: Variant): Promise<void> {
  const { config } = ctx;
  const n = config.longPolls;
  await ctx.reset();
  await waitQuiet(ctx);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probeOnce = () => probe(ctx.server.url, agent);
  progress(`long-poll ${variant}: baseline /healthz probes`);
  const baseline = await probeFor(probeOnce, Math.min(3_000, config.longPollWatchMs));
  const rssBefore = ctx.server.rss();
  const timeoutS = Math.ceil((config.longPollWatchMs + 60_000) / 1000);

  progress(`long-poll ${variant}: parking ${n.toLocaleString("en-US")} pops`);
  const sessions: ClientHttp2Session[] =
    variant === "grpc" ? Array.from({ length: H2_SESSIONS }, () => connect(ctx.server.url)) : [];
  const parked: Parked[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const onError = (error: unknown) => {
    errors++;
    firstError ??= String(error);
    return undefined;
  };
  for (let i = 0; i < n; i += BATCH) {
    for (let k = i; k < Math.min(n, i + BATCH); k++) {
      const done =
        variant === "legacy"
          ? legacyPop(ctx.server.url, timeoutS).catch(onError)
          : grpcPop(sessions[k % H2_SESSIONS] as ClientHttp2Session, timeoutS).catch(onError);
      parked.push({ done });
    }
    await sleep(BATCH_EVERY_MS);
  }
  // Let the server take in the last requests.
  await sleep(config.quick ? 500 : 2_000);
  const connections = established(ctx.server.port);
  progress(
    `long-poll ${variant}: ${connections} connections established; watching ${config.longPollWatchMs / 1000} s`,
  );
  let rssPeak = ctx.server.rss();
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, ctx.server.rss());
  }, 250);
  const parkedProbe = await probeFor(probeOnce, config.longPollWatchMs);
  clearInterval(rssTimer);
  const rssParked = Math.max(rssPeak, ctx.server.rss());
  const answeredEarly = await countSettled(parked);

  progress(
    `long-poll ${variant}: pushing ${n.toLocaleString("en-US")} ready jobs to wake them all`,
  );
  const engine = await ctx.engine();
  const t0 = performance.now();
  let woken = 0;
  const all = Promise.all(
    parked.map((p) =>
      p.done.then((id) => {
        if (id) woken++;
      }),
    ),
  );
  try {
    await loadJobs(engine, {
      count: n,
      topic: TOPIC,
      ids: new IdSequence(`lp${variant[0]}-`),
      body: makeBody(ctx.config.bodyBytes),
      delayMs: () => 0,
    });
    await Promise.race([all, sleep(60_000)]);
  } finally {
    await engine.close();
  }
  const wakeSeconds = (performance.now() - t0) / 1000;
  for (const session of sessions) session.close();
  agent.destroy();

  const growth = rssParked - rssBefore;
  const label =
    variant === "legacy"
      ? `${n.toLocaleString("en-US")} parked legacy pops (HTTP/1.1, a socket each)`
      : `${n.toLocaleString("en-US")} parked gRPC pops (${H2_SESSIONS} HTTP/2 connections)`;
  ctx.rows.push({
    scenario: "longpoll",
    case: `${label}: /healthz while parked`,
    p50: parkedProbe.p50,
    p99: parkedProbe.p99,
    max: parkedProbe.max,
    target: "lag p99 ≤ 20 ms",
    met: parkedProbe.p99 <= 20,
    notes: joinNotes(
      `baseline p50/p99/max ${fmtMs(baseline.p50)}/${fmtMs(baseline.p99)}/${fmtMs(baseline.max)}`,
      `${parkedProbe.count} probes every ${PROBE_MS} ms`,
      `${connections} server sockets`,
      answeredEarly > 0 && `${answeredEarly} pops answered before the wake`,
      errors > 0 && `${errors} errors, e.g. ${firstError}`,
    ),
    data: { baseline, parked: parkedProbe, errors, connections },
  });
  ctx.rows.push({
    scenario: "longpoll",
    case: `${label}: server RSS growth`,
    rate: growth / 1e6,
    unit: "MB",
    target: "≤ 200 MB",
    met: growth <= 200e6,
    notes: joinNotes(
      `${fmtBytes(rssBefore)} → ${fmtBytes(rssParked)} (peak), ${fmtBytes(growth / n)} per parked pop`,
      `all woken with a job in ${wakeSeconds.toFixed(2)} s: ${woken}/${n}`,
    ),
    data: { rssBefore, rssParked, woken, wakeSeconds },
  });
}

/** A legacy pop on its own socket; resolves with the job id or undefined. */
function legacyPop(baseUrl: string, timeoutS: number): Promise<string | undefined> {
  const url = new URL(baseUrl);
  const body = `{"topic":"${TOPIC}","timeout":${timeoutS}}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: "/pop", method: "POST", agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          try {
            const reply = JSON.parse(text) as { data: { id: string } | null };
            resolve(reply.data?.id);
          } catch (error) {
            reject(error);
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function grpcPop(session: ClientHttp2Session, timeoutS: number): Promise<string | undefined> {
  const reply = await send(
    session,
    h2Headers(`${SERVICE_PATH}/Pop`, "grpc"),
    frame(popRequest([TOPIC], timeoutS), "grpc"),
  );
  if (!reply.ok) throw new Error(reply.error);
  return poppedJob(reply.message)?.id;
}

/** One `GET /healthz` on a kept-alive socket: ms until the whole response is in. */
function probe(baseUrl: string, agent: http.Agent): Promise<number> {
  const url = new URL(baseUrl);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: "/healthz", agent },
      (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - t0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Probes every {@link PROBE_MS} for `ms` (a probe that overruns delays the next). */
async function probeFor(probeOnce: () => Promise<number>, ms: number): Promise<Summary> {
  const samples = new Samples();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    samples.add(await probeOnce());
    const rest = PROBE_MS - (performance.now() - t0);
    if (rest > 0) await sleep(rest);
  }
  return samples.summary();
}

/** Established TCP connections whose local port is `port` (the server's side). */
function established(port: number): number {
  try {
    const out = execFileSync("ss", ["-Htn", "state", "established", `( sport = :${port} )`], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    return out.split("\n").filter((line) => line.trim() !== "").length;
  } catch {
    return -1;
  }
}

async function countSettled(parked: Parked[]): Promise<number> {
  let settled = 0;
  const marker = Symbol("pending");
  await Promise.all(
    parked.map(async (p) => {
      const value = await Promise.race([p.done, Promise.resolve(marker)]);
      if (value !== marker) settled++;
    }),
  );
  return settled;
}
