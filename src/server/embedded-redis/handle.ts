import type { Logger } from "pino";
import { releaseLock } from "./lock-file.js";
import { STOP_TIMEOUT_MS, within } from "./pids.js";
import { HOST, sendShutdown } from "./redis-socket.js";
import type { RedisProcess } from "./spawn-redis.js";
import type { EmbeddedRedis } from "./types.js";

/** The {@link EmbeddedRedis} handle of a started redis-server whose lock is in `dir`. */
export function embeddedHandle(
  redis: RedisProcess,
  where: { dir: string; port: number; logger: Logger },
): EmbeddedRedis {
  const { child, pid, exited } = redis;
  const { dir, port, logger } = where;
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    if (redis.running()) {
      // SHUTDOWN flushes and fsyncs the AOF; SIGTERM does the same if the socket fails.
      if (!(await sendShutdown(port))) child.kill("SIGTERM");
      if (!(await within(exited, STOP_TIMEOUT_MS))) {
        logger.error({ redisPid: pid }, "embedded redis-server did not stop in time; killing it");
        child.kill("SIGKILL");
        await exited;
      }
    }
    await releaseLock(dir);
    logger.info({ redisPid: pid }, "embedded redis-server stopped");
  };
  return {
    url: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    pid,
    dir,
    exited,
    stop() {
      stopping ??= stop();
      return stopping;
    },
    signalStop() {
      if (redis.running()) child.kill("SIGTERM");
    },
  };
}
