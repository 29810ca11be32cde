import type { Redis } from "ioredis";
import { shardKeys, shardOf } from "../../src/queue/index.js";
import { type PackedJob, unpackJob } from "./packed-job.js";

/** Where each job of a queue sits, as read straight from Redis. */
export interface QueueSnapshot {
  /** id → stored state ("delayed" | "ready" | "reserved"). */
  jobs: Map<string, string>;
  /** Broken rules, one sentence each; empty when the layout is consistent. */
  violations: string[];
}

const states: Record<string, string> = { "1": "delayed", "2": "ready", "3": "reserved" };

/** Every field of a hash, values as raw bytes. */
async function scanHash(redis: Redis, key: string): Promise<Map<string, Buffer>> {
  const fields = new Map<string, Buffer>();
  let cursor = "0";
  do {
    const [next, batch] = await redis.hscanBuffer(key, cursor, "COUNT", 1000);
    cursor = String(next);
    for (let i = 0; i + 1 < batch.length; i += 2)
      fields.set((batch[i] as Buffer).toString("utf8"), batch[i + 1] as Buffer);
  } while (cursor !== "0");
  return fields;
}

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

/**
 * Checks that every job is in exactly one state structure: a delayed or
 * reserved job is in its shard's due set and has no live ready entry (a
 * reservation, taken once the job was due, runs out no sooner than due + ttr);
 * a ready job has exactly one live entry in its topic's ready list and is not
 * in the due set; the due set names no missing job; every packed job follows
 * the format and sits in its id's shard; the bodies hash holds the bodies of
 * exactly the jobs packed without theirs.
 */
export async function checkInvariants(
  redis: Redis,
  prefix: string,
  shards: number,
): Promise<QueueSnapshot> {
  const jobs = new Map<string, string>();
  const violations: string[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const keys = shardKeys(prefix, shard);
    const due = new Map<string, number>();
    const dueFlat = await redis.zrange(keys.due, 0, -1, "WITHSCORES");
    for (let i = 0; i < dueFlat.length; i += 2)
      due.set(dueFlat[i] as string, Number(dueFlat[i + 1]));
    const live = new Map<string, number>();
    const records = new Map<string, PackedJob>();
    for (const [id, value] of await scanHash(redis, keys.jobs)) {
      try {
        records.set(id, unpackJob(value));
      } catch (error) {
        violations.push(`${id} is not a packed job: ${(error as Error).message}`);
      }
      if (shardOf(id, shards) !== shard) violations.push(`${id} is stored in the wrong shard`);
    }
    const bodies = await scanHash(redis, keys.bodies);
    for (const [id, job] of records) {
      if (job.external && !bodies.has(id)) violations.push(`${id} has no body`);
      if (!job.external && bodies.has(id)) violations.push(`${id} has a body in both places`);
    }
    for (const id of bodies.keys()) {
      if (!records.has(id)) violations.push(`bodies hash holds the body of missing job ${id}`);
    }
    for (const listKey of await scanKeys(redis, `${globEscape(keys.base)}r:*`)) {
      for (const entry of await redis.lrange(listKey, 0, -1)) {
        const sep = entry.indexOf(":");
        const id = entry.slice(sep + 1);
        const job = records.get(id);
        const topic = listKey.slice(keys.base.length + 2);
        if (
          job &&
          job.state === 2 &&
          String(job.seq) === entry.slice(0, sep) &&
          job.topic === topic
        ) {
          live.set(id, (live.get(id) ?? 0) + 1);
        }
      }
    }
    for (const [id, job] of records) {
      const state = states[String(job.state)];
      if (!state) {
        violations.push(`${id} has unknown state ${job.state}`);
        continue;
      }
      jobs.set(id, state);
      const entries = live.get(id) ?? 0;
      const score = due.get(id);
      if (state === "ready") {
        if (entries !== 1) violations.push(`ready ${id} has ${entries} live ready entries`);
        if (score !== undefined) violations.push(`ready ${id} is also in the due set`);
      } else {
        if (entries !== 0) violations.push(`${state} ${id} also has a live ready entry`);
        if (score === undefined) violations.push(`${state} ${id} is not in the due set`);
        const earliest = state === "reserved" ? (job.due ?? Number.NaN) + job.ttrMs : 0;
        if (score !== undefined && !(score >= earliest)) {
          violations.push(`reserved ${id} runs out at ${score}, before due + ttr ${earliest}`);
        }
      }
    }
    for (const id of due.keys()) {
      if (!records.has(id)) violations.push(`due set names missing job ${id}`);
    }
  }
  return { jobs, violations };
}

function globEscape(pattern: string): string {
  return pattern.replace(/[*?[\]\\]/g, "\\$&");
}
