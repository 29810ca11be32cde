import type { Redis } from "ioredis";
import { shardKeys } from "../../src/queue/index.js";

/** A job as its shard's jobs hash stores it (src/queue/scripts/includes/jobFormat.lua). */
export interface PackedJob {
  state: number;
  attempts: number;
  /** The body is in the shard's bodies hash; `body` is then empty. */
  external: boolean;
  seq: number;
  ttrMs: number;
  /** Due ms minus pushed-at ms. */
  lead: number;
  topic: string;
  /** Only while ready or reserved; a delayed job's due time is its due-set score. */
  due: number | undefined;
  body: Buffer;
}

const widths = [1, 2, 4, 7];

/**
 * Reads a packed job byte by byte, written apart from the Lua that packs it
 * so that tests check the documented format, not the codec against itself.
 * Throws on a value that does not follow the format.
 */
export function unpackJob(value: Buffer): PackedJob {
  let at = 0;
  const need = (n: number) => {
    if (at + n > value.length) throw new Error(`packed job ends early (${value.length} bytes)`);
  };
  need(1);
  const head = value[at++] as number;
  const int = (code: number): number => {
    const width = widths[code] as number;
    need(width);
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 256 + (value[at++] as number);
    return n;
  };
  const sa = int(head & 3);
  const seq = int((head >> 2) & 3);
  const ttrMs = int((head >> 4) & 3);
  const lead = int(head >> 6);
  const end = value.indexOf(0, at);
  if (end < 0) throw new Error("packed job's topic has no terminating NUL");
  const topic = value.subarray(at, end).toString("utf8");
  at = end + 1;
  const state = sa % 4;
  let due: number | undefined;
  if (state !== 1) {
    need(6);
    due = value.readUIntBE(at, 6);
    at += 6;
  }
  return {
    state,
    attempts: Math.floor(sa / 8),
    external: sa % 8 >= 4,
    seq,
    ttrMs,
    lead,
    topic,
    due,
    body: value.subarray(at),
  };
}

/** The packed job `id` of shard 0 (or `shard`) of `prefix`, or null when there is none. */
export async function readPackedJob(
  redis: Redis,
  prefix: string,
  id: string,
  shard = 0,
): Promise<PackedJob | null> {
  const value = await redis.hgetBuffer(shardKeys(prefix, shard).jobs, id);
  return value ? unpackJob(value) : null;
}
