/** What went wrong starting the embedded Redis. */
export type EmbeddedRedisErrorKind = "not_installed" | "in_use" | "failed";

/** Starting the embedded Redis failed; `message` says what to do. */
export class EmbeddedRedisError extends Error {
  override name = "EmbeddedRedisError";
  constructor(
    readonly kind: EmbeddedRedisErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The message of a `not_installed` error: how to install redis-server, or how to do without. */
export const notInstalledMessage =
  "redis-server not found on PATH. No Redis is configured, so delay-queue runs its own " +
  "redis-server and needs the binary: install it: Debian/Ubuntu `apt-get install -y redis-server`, " +
  "macOS `brew install redis`. Or point it at your Redis with redis.host, DQ_REDIS_HOST or --redis.";

/** redis-server lost its port to another process between our probe and its bind: try another. */
export class BindRace extends Error {}
