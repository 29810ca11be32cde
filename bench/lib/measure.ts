import type { BenchContext } from "./context.js";
import type { LoadResult } from "./load-h1.js";
import { waitQuiet } from "./quiet.js";
import { commandCalls, diffCalls } from "./redis-info.js";

/** What a phase cost besides its own figures: CPU per process and Redis commands per call. */
export interface PhaseCost {
  /** Share of one core per process over the phase. */
  cpu: Record<string, number>;
  /** Redis calls per command over the phase (Redis 7 counts commands inside scripts too). */
  redisCalls: Record<string, number>;
}

/** Runs `phase`, recording CPU shares and Redis command counts around it. */
export async function withCost<T extends { seconds: number }>(
  ctx: BenchContext,
  phase: () => Promise<T>,
): Promise<T & { cost: PhaseCost }> {
  const before = await commandCalls(ctx.redis.admin);
  const cpu = ctx.cpu();
  const result = await phase();
  const shares = cpu.shares(result.seconds);
  const diff = diffCalls(before, await commandCalls(ctx.redis.admin));
  // The probe itself (INFO) is not the phase's work.
  diff.delete("info");
  return { ...result, cost: { cpu: shares, redisCalls: Object.fromEntries(diff) } };
}

/** "cpu srv 0.93 redis 0.31 gen 0.52" */
export function cpuNote(
  cost: PhaseCost,
  who: string[] = ["server", "redis", "harness", "other"],
): string {
  const short: Record<string, string> = {
    server: "srv",
    redis: "redis",
    harness: "gen",
    ceiling: "bare",
  };
  return `cpu ${who.map((w) => `${short[w] ?? w} ${(cost.cpu[w] ?? 0).toFixed(2)}`).join(" ")}`;
}

/** Top-level script calls per `per` (evalsha + eval). */
export function scriptCallsPer(cost: PhaseCost, per: number): number {
  const calls = (cost.redisCalls.evalsha ?? 0) + (cost.redisCalls.eval ?? 0);
  return per > 0 ? calls / per : 0;
}

/** All Redis commands executed per `per`, inner script commands included. */
export function commandsPer(cost: PhaseCost, per: number): number {
  const total = Object.values(cost.redisCalls).reduce((sum, n) => sum + n, 0);
  return per > 0 ? total / per : 0;
}

export function failureNote(result: LoadResult): string {
  const parts: string[] = [];
  if (result.failures > 0) parts.push(`${result.failures} failed`);
  if (result.errors > 0) parts.push(`${result.errors} errors`);
  if (result.sample) parts.push(`e.g. ${JSON.stringify(result.sample.slice(0, 80))}`);
  return parts.join(", ");
}

export function joinNotes(...notes: (string | undefined | false)[]): string {
  return notes.filter((n): n is string => typeof n === "string" && n !== "").join("; ");
}

export type Costed = LoadResult & { cost: PhaseCost };

export interface Pair {
  server: Costed;
  ceiling: Costed;
  /** server rate / ceiling rate of the reported round (the median ratio). */
  ratio: number;
  /** Every round's ratio, in order. */
  ratios: number[];
  /** Ms spent waiting for a quiet box. */
  waitedMs: number;
}

/**
 * `rounds` rounds of server-then-ceiling, each after waiting for a quiet box;
 * reports the round with the median ratio, so one disturbed round moves nothing.
 */
export async function measurePair(
  ctx: BenchContext,
  rounds: number,
  server: () => Promise<LoadResult>,
  ceiling: () => Promise<LoadResult>,
): Promise<Pair> {
  const results: { server: Costed; ceiling: Costed; ratio: number }[] = [];
  let waitedMs = 0;
  for (let round = 0; round < rounds; round++) {
    waitedMs += await waitQuiet(ctx);
    const s = await withCost(ctx, server);
    const c = await withCost(ctx, ceiling);
    results.push({ server: s, ceiling: c, ratio: c.rate > 0 ? s.rate / c.rate : 0 });
  }
  const sorted = [...results].sort((a, b) => a.ratio - b.ratio);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as (typeof results)[number];
  return { ...median, ratios: results.map((r) => r.ratio), waitedMs };
}
