import { setTimeout as sleep } from "node:timers/promises";

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What was awaited, for the timeout error; a function is read when it times out. */
  message?: string | (() => string);
}

/**
 * Polls `condition` every `intervalMs` until it returns true; rejects with
 * `message` after `timeoutMs`. A condition that throws counts as false.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 50, message = "condition" }: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {}
    if (performance.now() > deadline) {
      const what = typeof message === "function" ? message() : message;
      throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Calls `call` until it resolves, pausing `pauseMs` after each rejection (a
 * Redis connection that is down or being killed); rejects with the last error
 * after `timeoutMs`.
 */
export async function untilAnswered<T>(
  call: () => Promise<T>,
  { timeoutMs = 10_000, pauseMs = 20 } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(pauseMs);
    }
  }
}
