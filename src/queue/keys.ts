/**
 * Every Redis key the engine touches is built here or, for keys a script finds
 * while it runs, from the same shard prefix inside the script.
 *
 * A shard's keys share the hash tag `{<prefix>:<shard>}` so that each script
 * touches a single Redis Cluster slot:
 *
 * | key                        | type   | holds                                            |
 * | -------------------------- | ------ | ------------------------------------------------ |
 * | `{dq:0}:jobs`              | hash   | every job of the shard: id → packed job (below)  |
 * | `{dq:0}:bodies`            | hash   | id → body, for bodies over 1 KiB only            |
 * | `{dq:0}:due`               | zset   | delayed and reserved ids, scored by due ms       |
 * | `{dq:0}:r:<topic>`         | list   | `<seq>:<id>` entries of ready jobs, oldest first |
 *
 * A job is one packed string (scripts/includes/jobFormat.lua has the format):
 * state, attempts, sequence (bumped on every transition that makes a ready
 * entry, so an older entry for the same id is recognisably stale), ttr,
 * pushed-at, topic, and the body as the tail (a body over 1 KiB goes to the
 * bodies hash instead, so that transitions do not copy it). A delayed job's
 * due time and a reserved job's deadline are its due-set score, stored
 * nowhere else. One hash per shard rather than one per job keeps a pending
 * job with a 100-byte body near 300 bytes of Redis memory, down from ~850
 * (docs/ENGINE.md).
 */
export interface ShardKeys {
  /** Prefix of every key of the shard, e.g. `{dq:0}:`; scripts append to it. */
  readonly base: string;
  /** The jobs hash. */
  readonly jobs: string;
  /** The hash of bodies too long to pack with their jobs. */
  readonly bodies: string;
  /** The due sorted set. */
  readonly due: string;
  ready(topic: string): string;
}

export function shardKeys(prefix: string, shard: number): ShardKeys {
  const base = `{${prefix}:${shard}}:`;
  return {
    base,
    jobs: `${base}jobs`,
    bodies: `${base}bodies`,
    due: `${base}due`,
    ready: (topic) => `${base}r:${topic}`,
  };
}

/** The pub/sub channel on which scripts announce ready jobs and earlier due times. */
export function notifyChannel(prefix: string): string {
  return `${prefix}:notify`;
}

/** Job states as packed jobs store them (scripts/includes/states.lua). */
export const storedState = { delayed: 1, ready: 2, reserved: 3 } as const;

const prefixPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidPrefix(prefix: string): boolean {
  return prefixPattern.test(prefix);
}
