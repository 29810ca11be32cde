/**
 * Every Redis key the engine touches is built here or, for keys a script finds
 * while it runs, from the same shard prefix inside the script.
 *
 * A shard's keys share the hash tag `{<prefix>:<shard>}` so that each script
 * touches a single Redis Cluster slot:
 *
 * | key                        | type   | holds                                        |
 * | -------------------------- | ------ | -------------------------------------------- |
 * | `{dq:0}:j:<id>`            | hash   | the job (fields below)                       |
 * | `{dq:0}:due`               | zset   | delayed and reserved ids, scored by due ms   |
 * | `{dq:0}:r:<topic>`         | list   | `<seq>:<id>` entries of ready jobs, oldest first |
 *
 * Job hash fields are one letter to keep small jobs small:
 * `t` topic, `b` body, `r` ttr ms, `d` due ms, `s` state, `a` attempts,
 * `c` pushed-at ms, `q` sequence (bumped on every transition that makes a ready
 * entry, so an older entry for the same id is recognisably stale), `x`
 * reservation deadline ms (only while reserved).
 */
export interface ShardKeys {
  /** Prefix of every key of the shard, e.g. `{dq:0}:`; scripts append to it. */
  readonly base: string;
  /** The due sorted set. */
  readonly due: string;
  job(id: string): string;
  ready(topic: string): string;
}

export function shardKeys(prefix: string, shard: number): ShardKeys {
  const base = `{${prefix}:${shard}}:`;
  return {
    base,
    due: `${base}due`,
    job: (id) => `${base}j:${id}`,
    ready: (topic) => `${base}r:${topic}`,
  };
}

/** The pub/sub channel on which scripts announce ready jobs and earlier due times. */
export function notifyChannel(prefix: string): string {
  return `${prefix}:notify`;
}

/** Job states as stored in the `s` field. */
export const storedState = { delayed: "1", ready: "2", reserved: "3" } as const;

const prefixPattern = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidPrefix(prefix: string): boolean {
  return prefixPattern.test(prefix);
}
