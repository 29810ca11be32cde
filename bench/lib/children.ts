import type { ChildProcess } from "node:child_process";

/**
 * Every process the harness starts (redis-server, the server, the ceiling),
 * so that a normal end, a failure or Ctrl-C stops them all.
 */
const children = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];

export function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** Runs `fn` synchronously when the process exits (temp dirs and the like). */
export function onExit(fn: () => void): void {
  cleanups.push(fn);
}

export function killAllSync(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {}
  }
}

let installed = false;

/** Reaps children on exit, on SIGINT/SIGTERM/SIGHUP and on uncaught errors. */
export function installReaper(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n[bench] ${signal}: stopping every process the harness started\n`);
      killAllSync();
      process.exit(130);
    });
  }
}

/** Resolves when `child` has exited, or false after `ms`. */
export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
export async function stopChild(child: ChildProcess, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  if (!(await exited(child, ms))) {
    child.kill("SIGKILL");
    await exited(child, 5_000);
  }
}
