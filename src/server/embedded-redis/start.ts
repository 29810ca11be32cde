import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { BindRace } from "./errors.js";
import { embeddedHandle } from "./handle.js";
import { acquireLock, releaseLock, writeLock } from "./lock-file.js";
import { freePort } from "./redis-socket.js";
import { spawnRedis } from "./spawn-redis.js";
import type { EmbeddedRedis, EmbeddedRedisOptions } from "./types.js";

/** Ports tried when another process takes the free one before redis-server binds it. */
const PORT_ATTEMPTS = 5;

/**
 * Starts a private `redis-server` on a free loopback port with its data in `<dataDir>/redis`
 * (`--appendonly yes --appendfsync everysec`, no RDB snapshots) and resolves once it answers.
 * A lock file in that dir keeps a second one off the same data; one left running by a
 * delay-queue that died is shut down cleanly and replaced.
 * @throws EmbeddedRedisError `not_installed` (with the install command), `in_use` or `failed`
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = join(options.dataDir, "redis");
  const logger = options.logger.child({ component: "embedded-redis" });
  await mkdir(dir, { recursive: true });
  await acquireLock(dir, logger);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const redis = await spawnRedis({ ...options, dir, port, logger });
        await writeLock(dir, { ownerPid: process.pid, redisPid: redis.pid, port });
        logger.info({ redisPid: redis.pid, port, dir }, "embedded redis-server started");
        return embeddedHandle(redis, { dir, port, logger });
      } catch (error) {
        if (!(error instanceof BindRace) || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await releaseLock(dir);
    throw error;
  }
}
