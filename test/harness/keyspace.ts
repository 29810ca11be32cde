import type { Redis } from "ioredis";
import { shardKeys, shardOf } from "../../src/queue/index.js";

/** What acknowledged pushes may have left in Redis. */
export interface AckedPushes {
  /** Ids whose push succeeded. */
  readonly ids: ReadonlySet<string>;
  /** Topics of those pushes. */
  readonly topics: ReadonlySet<string>;
}

/** Every key of the database, as raw bytes. */
async function allKeys(redis: Redis): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scanBuffer(cursor, "COUNT", 1000);
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

/**
 * Keys of the whole database that no acknowledged push explains, shown as
 * JSON strings: anything but a shard's jobs hash, bodies hash, due set, or a
 * ready list of an acknowledged topic; and jobs or bodies (shown as
 * `<hash key> <id>`) whose id no
 * acknowledged push used, or that sit in another shard than their id's. Keys
 * are compared as UTF-8 bytes, as the engine writes them.
 */
export async function strayKeys(
  redis: Redis,
  prefix: string,
  shards: number,
  acked: AckedPushes,
): Promise<string[]> {
  const expected = new Set<string>();
  const add = (key: string) => expected.add(Buffer.from(key, "utf8").toString("base64"));
  const strayJobs: string[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const keys = shardKeys(prefix, shard);
    add(keys.jobs);
    add(keys.bodies);
    add(keys.due);
    for (const topic of acked.topics) add(keys.ready(topic));
    for (const key of [keys.jobs, keys.bodies]) {
      for (const id of await redis.hkeys(key)) {
        if (!acked.ids.has(id) || shardOf(id, shards) !== shard) {
          strayJobs.push(JSON.stringify(`${key} ${id}`));
        }
      }
    }
  }
  return (await allKeys(redis))
    .filter((key) => !expected.has(key.toString("base64")))
    .map((key) => JSON.stringify(key.toString("utf8")))
    .concat(strayJobs);
}
