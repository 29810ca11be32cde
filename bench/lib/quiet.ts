import type { BenchContext } from "./context.js";
import { progress, sleep } from "./progress.js";

/** Most CPU (cores) the rest of the box may use for it to count as quiet. */
const QUIET_CORES = 0.3;
const WINDOW_MS = 1000;

/**
 * On a shared box other work skews every figure. Waits (out of a budget for
 * the whole run) until the processes outside the bench use less than
 * {@link QUIET_CORES} of a core over a second; returns the ms waited.
 */
export async function waitQuiet(ctx: BenchContext): Promise<number> {
  const t0 = performance.now();
  let warned = false;
  while (ctx.quietBudgetMs > 0) {
    const meter = ctx.cpu();
    await sleep(WINDOW_MS);
    const other = meter.shares(WINDOW_MS / 1000).other ?? 0;
    if (other < QUIET_CORES) break;
    ctx.quietBudgetMs -= WINDOW_MS;
    if (!warned) {
      progress(
        `other processes use ${other.toFixed(2)} cores: waiting for a quiet box (budget ${(ctx.quietBudgetMs / 1000).toFixed(0)} s left)`,
      );
      warned = true;
    }
  }
  return performance.now() - t0;
}
