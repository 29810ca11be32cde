import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { EmbeddedRedisError } from "./errors.js";
import { isAlive, STOP_TIMEOUT_MS, waitGone } from "./pids.js";
import { probe, sendShutdown } from "./redis-socket.js";

const LOCK_FILE = "embedded.lock";

/** What `<dir>/embedded.lock` holds: who owns the dir, and its redis-server once started. */
export interface Lock {
  ownerPid: number;
  redisPid?: number;
  port?: number;
}

/**
 * Takes `<dir>/embedded.lock` for this process, so that a second delay-queue stays off the same
 * data. A lock left by a delay-queue that is gone is cleared; if its redis-server is still
 * running, that one is shut down cleanly first.
 * @throws EmbeddedRedisError `in_use` when a live delay-queue holds the dir
 */
export async function acquireLock(dir: string, logger: Logger): Promise<void> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 1; ; attempt++) {
    try {
      const file = await open(path, "wx");
      await file.writeFile(JSON.stringify({ ownerPid: process.pid } satisfies Lock));
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw error;
    }
    const held = await readLock(path);
    const redisUp =
      held?.redisPid && held.port ? (await probe(held.port)) === held.redisPid : false;
    // A live owner whose Redis is up, or not started yet, holds the dir; one whose Redis is
    // gone is stopping (or its pid was reused): the lock is stale.
    const starting = held !== undefined && held.redisPid === undefined;
    if (held && held.ownerPid !== process.pid && isAlive(held.ownerPid) && (starting || redisUp)) {
      const redis = held.redisPid
        ? ` and its redis-server (pid ${held.redisPid}, port ${held.port})`
        : "";
      throw new EmbeddedRedisError(
        "in_use",
        `data dir ${dir} is in use by a running delay-queue (pid ${held.ownerPid})${redis}: stop it first, or give this one another data_dir (--data-dir)`,
      );
    }
    if (held?.redisPid && held.port && redisUp) {
      logger.warn(
        { redisPid: held.redisPid, port: held.port },
        "an embedded redis-server left running by a delay-queue that is gone holds this data dir; shutting it down cleanly",
      );
      await sendShutdown(held.port);
      if (!(await waitGone(held.redisPid, STOP_TIMEOUT_MS))) {
        throw new EmbeddedRedisError(
          "in_use",
          `data dir ${dir} is held by redis-server pid ${held.redisPid} (port ${held.port}), left by an earlier run, and it did not shut down: stop it (redis-cli -p ${held.port} shutdown) and start again`,
        );
      }
    }
    await unlink(path).catch(() => {});
  }
}

/** Records the started redis-server in the lock, so a later run can tell whether it is ours. */
export async function writeLock(dir: string, lock: Lock): Promise<void> {
  const file = await open(join(dir, LOCK_FILE), "w");
  await file.writeFile(JSON.stringify(lock));
  await file.close();
}

/** Gives up the dir (a lock already gone is fine). */
export async function releaseLock(dir: string): Promise<void> {
  await unlink(join(dir, LOCK_FILE)).catch(() => {});
}

async function readLock(path: string): Promise<Lock | undefined> {
  // A starter that just created the file may not have written it yet.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const lock = JSON.parse(await readFile(path, "utf8")) as Lock;
      if (typeof lock.ownerPid === "number") return lock;
    } catch {}
    await sleep(100);
  }
  return undefined;
}
