/** How long to wait between failing calls. */
export interface BackoffOptions {
  /**
   * Wait after the first failure, ms; it doubles with each failure in a row.
   * @defaultValue `100`
   */
  initialMs?: number;
  /**
   * Longest wait, ms.
   * @defaultValue `5000`
   */
  maxMs?: number;
}

/**
 * The wait before retry number `failures + 1`: `initialMs · 2^failures`,
 * capped at `maxMs`, then jittered to between half and all of it so that
 * many consumers do not retry in step.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const full = Math.min(max, initial * 2 ** Math.min(failures, 30));
  return full / 2 + (Math.random() * full) / 2;
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
