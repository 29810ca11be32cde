import type { RedisOptions } from "ioredis";
import type { Logger } from "pino";
import {
  type Config,
  ConfigError,
  flagUsage,
  loadConfig,
  logConfig,
  parseFlags,
  toServerOptions,
  usesEmbeddedRedis,
} from "../config/index.js";
import { redisAddressKeys } from "../config/keys.js";
import { describeSetting } from "../config/source.js";
import {
  type EmbeddedRedis,
  EmbeddedRedisError,
  startEmbeddedRedis,
} from "../server/embedded-redis/index.js";
import { type RunningServer, setHeapGrowingPercent, startServer } from "../server/index.js";
import { checkRedis } from "./check-redis.js";
import { type Command, type CommandContext, ExitCode } from "./command.js";
import { createLogger } from "./logger.js";
import { type StopSignals, watchStopSignals } from "./signals.js";
import { packageVersion } from "./version.js";

/** Longest graceful stop before the process gives up and exits 1, ms. */
const STOP_DEADLINE_MS = 30_000;

export const serveUsage = `Usage: delay-queue [serve] [options]

Runs the server: legacy POST-JSON, Connect, gRPC and gRPC-web on one port.

${flagUsage}`;

/** `delay-queue serve` (also the bare `delay-queue`). */
export const serveCommand: Command = {
  name: "serve",
  summary: "run the server (the default command)",
  run: serve,
};

async function serve(args: readonly string[], context: CommandContext): Promise<number> {
  let config: Config;
  try {
    const flags = parseFlags(args);
    if (flags.help) return print(context, serveUsage);
    if (flags.version) return print(context, packageVersion());
    config = loadConfig({ argv: args, env: context.env, cwd: context.cwd });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    context.stderr(`delay-queue: ${error.message}`);
    return ExitCode.usage;
  }
  const logger = createLogger(config.logLevel);
  logConfig(config, logger);
  // The process is the server's own: an operator may trade GC throughput for shorter pauses.
  setHeapGrowingPercent(config.heapGrowingPercent);
  let embedded: EmbeddedRedis | undefined;
  // Whatever ends the process (an uncaught error, process.exit), the embedded Redis goes too.
  const onExit = () => embedded?.signalStop();
  process.on("exit", onExit);
  const signals = watchStopSignals(logger, onExit);
  try {
    if (usesEmbeddedRedis(config)) {
      logger.info(
        { dataDir: config.dataDir },
        "no Redis configured: starting an embedded redis-server",
      );
      try {
        embedded = await startEmbeddedRedis({ dataDir: config.dataDir, logger });
      } catch (error) {
        return fail(context, logger, error, "cannot start the embedded Redis");
      }
    }
    let server: RunningServer;
    try {
      const options = toServerOptions(config, logger, embedded);
      if (!embedded) await ensureRedis(config, options.queue.connection as RedisOptions);
      server = await startServer(options);
    } catch (error) {
      await embedded?.stop();
      return fail(context, logger, error, startFailure(config, error, embedded));
    }
    logger.info({ url: server.url, host: server.host, port: server.port }, "delay-queue listening");
    return await serveUntilStopped(server, embedded, signals, logger);
  } finally {
    signals.dispose();
    process.off("exit", onExit);
  }
}

async function serveUntilStopped(
  server: RunningServer,
  embedded: EmbeddedRedis | undefined,
  signals: StopSignals,
  logger: Logger,
): Promise<number> {
  const redisGone = embedded?.exited.then((exit) => ({ redisExit: exit }));
  const reason = await Promise.race([signals.first, ...(redisGone ? [redisGone] : [])]);
  const deadline = setTimeout(() => {
    logger.error(`graceful stop took longer than ${STOP_DEADLINE_MS} ms: exiting`);
    embedded?.signalStop();
    process.exit(ExitCode.failed);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  try {
    if (typeof reason === "object") {
      logger.error(reason.redisExit, "the embedded redis-server exited unexpectedly: stopping");
      await server.close();
      await embedded?.stop();
      return ExitCode.failed;
    }
    await server.close();
    await embedded?.stop();
    logger.info("stopped");
    return ExitCode.ok;
  } finally {
    clearTimeout(deadline);
  }
}

/** A configured Redis must answer; it is never replaced by an embedded one. */
async function ensureRedis(config: Config, connection: RedisOptions): Promise<void> {
  const reason = await checkRedis(connection);
  if (reason === undefined) return;
  const { host, port, db } = config.redis;
  const where = redisAddressKeys
    .filter((key) => config.sources[key].kind !== "default")
    .map((key) => describeSetting(key, config.sources[key]));
  const from =
    where.length === 0 ? "the default, embedded_redis = no" : [...new Set(where)].join(", ");
  throw new RedisUnavailableError(
    `cannot use Redis at ${host}:${port} db ${db} (${from}): ${reason.replace(/\.+$/, "")}; a configured Redis is never replaced by an embedded one`,
  );
}

class RedisUnavailableError extends Error {}

/** A message for a server that did not start, naming the setting that was likely at fault. */
function startFailure(config: Config, error: unknown, embedded: EmbeddedRedis | undefined): string {
  if ((error as NodeJS.ErrnoException).syscall === "listen") {
    const where = describeSetting("bind_address", config.sources.bind_address);
    return `cannot listen on ${config.host}:${config.port} (${where})`;
  }
  if (embedded) return `cannot start on the embedded Redis at ${embedded.url}`;
  return "cannot start";
}

function fail(context: CommandContext, logger: Logger, error: unknown, what: string): number {
  if (error instanceof ConfigError) {
    context.stderr(`delay-queue: ${error.message}`);
    return ExitCode.usage;
  }
  const plain = error instanceof EmbeddedRedisError || error instanceof RedisUnavailableError;
  const message = plain ? (error as Error).message : `${what}: ${(error as Error).message}`;
  logger.error({ err: error }, message);
  context.stderr(`delay-queue: ${message}`);
  return ExitCode.failed;
}

function print(context: CommandContext, text: string): number {
  context.stdout(text);
  return ExitCode.ok;
}
