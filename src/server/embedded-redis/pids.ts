import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Longest wait for a redis-server to exit once asked to (SHUTDOWN or SIGTERM), ms. */
export const STOP_TIMEOUT_MS = 15_000;

/** True while `pid` is a live process (ours to signal or not); a zombie counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (dead, not yet reaped) still takes signals; Linux shows it as state Z.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

/** Waits up to `timeoutMs` for `pid` to be gone; false if it is still alive then. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** True if `promise` settles within `ms`; the timer does not outlive the wait. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
