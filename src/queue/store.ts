import type { Redis } from "ioredis";
import { QueueError } from "./errors.js";
import { notifyChannel, type ShardKeys, shardKeys, storedState } from "./keys.js";
import type { Demand } from "./scheduler.js";
import { defineScripts } from "./script-loader.js";
import { shardOf } from "./shard.js";
import { TurnWrites } from "./turn-writes.js";
import type { Job, JobState, ReservedJob, SettleResult } from "./types.js";

type Reply = Buffer | number | null;

/** The commands `defineScripts` adds, as the store calls them. */
interface ScriptCommands {
  dqPush(...args: (string | number | Buffer)[]): Promise<number[]>;
  dqPushBatch(...args: (string | number | Buffer)[]): Promise<number[]>;
  dqReserveBuffer(numKeys: number, ...args: string[]): Promise<Reply[]>;
  dqFinish(...args: string[]): Promise<number>;
  dqFinishBatch(...args: string[]): Promise<number[]>;
  dqDelete(...args: string[]): Promise<number>;
  dqRelease(...args: (string | number)[]): Promise<[number, string?, number?]>;
  dqPromoteBuffer(...args: (string | number)[]): Promise<Reply[]>;
  dqGetBuffer(...args: string[]): Promise<Reply[] | null>;
}

export interface PromoteResult {
  /** Redis clock at the time of the call, ms, to the µs. */
  now: number;
  moved: number;
  /** Due time of the earliest remaining entry, or undefined when none. */
  nextDue: number | undefined;
  /** More entries were due than one call moves. */
  more: boolean;
  /** Topics left with ready jobs, with how many each (those reserved below not counted). */
  topics: Map<string, number>;
  /** Jobs reserved for the demand the call was given. */
  reserved: ReservedJob[];
}

export interface ReleaseResult {
  result: SettleResult;
  /** When released: the job's topic and new due time. */
  topic?: string;
  dueAt?: number;
}

/** One validated job for {@link JobStore.pushBatch}. */
export interface StoredPush {
  id: string;
  topic: string;
  body: string | Buffer;
  delayMs: number;
  ttrMs: number;
  ifAbsent: boolean;
}

export interface StoreOptions {
  prefix: string;
  shards: number;
  /** Identifies this process in notifications, so it can skip its own. */
  origin: string;
  /** Most stale ready entries one reserve call drops before yielding. */
  staleLimit: number;
}

const stateNames: Record<number, JobState> = {
  [storedState.delayed]: "delayed",
  [storedState.ready]: "ready",
  [storedState.reserved]: "reserved",
};

const settled: Record<number, SettleResult> = { 1: "done", 0: "not_reserved", [-1]: "not_found" };

/** Typed calls of the Lua transitions; one Redis round trip each. */
export class JobStore {
  readonly shards: readonly ShardKeys[];
  readonly channel: string;
  private readonly scripts: ScriptCommands;

  constructor(
    readonly redis: Redis,
    private readonly options: StoreOptions,
  ) {
    this.scripts = defineScripts(redis, new TurnWrites(redis)) as unknown as ScriptCommands;
    this.shards = Array.from({ length: options.shards }, (_, i) => shardKeys(options.prefix, i));
    this.channel = notifyChannel(options.prefix);
  }

  shardOf(id: string): number {
    return shardOf(id, this.options.shards);
  }

  private keysOf(id: string): { shard: number; keys: ShardKeys } {
    const shard = this.shardOf(id);
    return { shard, keys: this.shards[shard] as ShardKeys };
  }

  async push(
    id: string,
    topic: string,
    body: string | Buffer,
    delayMs: number,
    ttrMs: number,
    ifAbsent: boolean,
  ): Promise<{ shard: number; dueAt: number; replaced: boolean } | "exists"> {
    const { shard, keys } = this.keysOf(id);
    const [code, dueAt, replaced] = await this.scripts.dqPush(
      keys.jobs,
      keys.bodies,
      keys.due,
      keys.ready(topic),
      id,
      topic,
      body,
      delayMs,
      ttrMs,
      ifAbsent ? "1" : "0",
      this.channel,
      this.options.origin,
      shard,
    );
    if (code === -1) return "exists";
    return { shard, dueAt: Number(dueAt), replaced: replaced === 1 };
  }

  /**
   * Reserves up to `max` jobs from one shard. `again` means it stopped after
   * dropping many stale entries, and the shard may hold more.
   */
  async reserve(
    shard: number,
    topics: readonly string[],
    max = 1,
  ): Promise<{ jobs: ReservedJob[]; again: boolean }> {
    const keys = this.shards[shard] as ShardKeys;
    const reply = await this.scripts.dqReserveBuffer(
      3 + topics.length,
      keys.jobs,
      keys.bodies,
      keys.due,
      ...topics.map((t) => keys.ready(t)),
      this.channel,
      this.options.origin,
      String(shard),
      String(this.options.staleLimit),
      String(max),
    );
    const jobs = readReserved(reply, 2, Number(reply[0]));
    return { jobs, again: Number(reply[1]) === 1 };
  }

  /**
   * Pushes jobs that all hash to `shard` in one script call; per job, in
   * order: its due time, or "exists" when refused by `ifAbsent`.
   */
  async pushBatch(
    shard: number,
    jobs: readonly StoredPush[],
  ): Promise<({ dueAt: number; replaced: boolean } | "exists")[]> {
    const keys = this.shards[shard] as ShardKeys;
    const args: (string | number | Buffer)[] = [];
    for (const job of jobs) {
      args.push(job.id, job.topic, job.body, job.delayMs, job.ttrMs, job.ifAbsent ? "1" : "0");
    }
    const reply = await this.scripts.dqPushBatch(
      keys.jobs,
      keys.bodies,
      keys.due,
      keys.base,
      this.channel,
      this.options.origin,
      shard,
      ...args,
    );
    return jobs.map((_, i) =>
      reply[2 * i] === -1
        ? "exists"
        : { dueAt: Number(reply[2 * i]), replaced: reply[2 * i + 1] === 1 },
    );
  }

  async finish(id: string, token = ""): Promise<SettleResult> {
    const { keys } = this.keysOf(id);
    return (
      settled[await this.scripts.dqFinish(keys.jobs, keys.bodies, keys.due, id, token)] ??
      "not_found"
    );
  }

  /** Finishes jobs that all hash to `shard` in one script call; per job, in order, its result. */
  async finishBatch(
    shard: number,
    jobs: readonly { id: string; token: string }[],
  ): Promise<SettleResult[]> {
    const keys = this.shards[shard] as ShardKeys;
    const args: string[] = [];
    for (const job of jobs) args.push(job.id, job.token);
    const codes = await this.scripts.dqFinishBatch(keys.jobs, keys.bodies, keys.due, ...args);
    return jobs.map((_, i) => settled[codes[i] ?? -1] ?? "not_found");
  }

  async delete(id: string): Promise<boolean> {
    const { keys } = this.keysOf(id);
    return (await this.scripts.dqDelete(keys.jobs, keys.bodies, keys.due, id)) === 1;
  }

  async release(
    id: string,
    token: string,
    delayMs: number,
    undo: boolean,
  ): Promise<ReleaseResult & { shard: number }> {
    const { shard, keys } = this.keysOf(id);
    const [code, topic, dueAt] = await this.scripts.dqRelease(
      keys.jobs,
      keys.due,
      id,
      token,
      delayMs,
      undo ? "1" : "0",
      keys.base,
      this.channel,
      this.options.origin,
      shard,
    );
    const result = settled[code] ?? "not_found";
    return result === "done"
      ? { result, shard, topic: String(topic), dueAt: Number(dueAt) }
      : { result, shard };
  }

  async get(id: string): Promise<Job | null> {
    const { keys } = this.keysOf(id);
    const reply = await this.scripts.dqGetBuffer(keys.jobs, keys.bodies, keys.due, id);
    if (!reply) return null;
    const [state, attempts, ttrMs, dueAt, pushedAt, reservedUntil, topic, body] = reply;
    const name = stateNames[Number(state)];
    if (!name || !(body instanceof Buffer)) throw new QueueError("internal", "malformed get reply");
    return {
      id,
      topic: String(topic),
      body,
      state: name,
      attempts: Number(attempts),
      ttrMs: Number(ttrMs),
      dueAt: Number(dueAt),
      pushedAt: Number(pushedAt),
      reservedUntil: name === "reserved" ? Number(reservedUntil) : undefined,
    };
  }

  /**
   * Moves due jobs of `shard` to their ready lists, then reserves from those
   * lists what `demand` asks for (parked pops of this process, per topic).
   */
  async promote(shard: number, limit: number, demand: Demand = []): Promise<PromoteResult> {
    const keys = this.shards[shard] as ShardKeys;
    const reply = await this.scripts.dqPromoteBuffer(
      keys.jobs,
      keys.due,
      keys.bodies,
      keys.base,
      limit,
      this.channel,
      this.options.origin,
      shard,
      this.options.staleLimit,
      ...demand.flat(),
    );
    const [micros, moved, nextDue, more, countValues] = reply.slice(0, 5).map(Number) as number[];
    const topics = new Map<string, number>();
    let at = 5;
    for (const end = at + (countValues ?? 0); at + 1 < end; at += 2) {
      topics.set(String(reply[at]), Number(reply[at + 1]));
    }
    const next = nextDue ?? -1;
    return {
      topics,
      now: (micros ?? 0) / 1000,
      moved: moved ?? 0,
      nextDue: next >= 0 ? next : undefined,
      more: more === 1,
      reserved: readReserved(reply, at + 1, Number(reply[at])),
    };
  }

  /** Ready entries per topic per shard (stale ones included): `lengths[topic][shard]`. */
  async readyLengths(topics: readonly string[]): Promise<number[][]> {
    return Promise.all(
      topics.map((topic) =>
        Promise.all(this.shards.map((keys) => this.redis.llen(keys.ready(topic)))),
      ),
    );
  }
}

/** `count` jobs of a reserve-style reply, ten values each from `at`. */
function readReserved(reply: Reply[], at: number, count: number): ReservedJob[] {
  const jobs: ReservedJob[] = [];
  for (let i = 0; i < count; i++, at += 10) {
    const [, id, topic, body, attempts, ttrMs, dueAt, reservedUntil, pushedAt, seq] = reply.slice(
      at,
      at + 10,
    );
    if (!(body instanceof Buffer)) throw new QueueError("internal", "malformed reserve reply");
    jobs.push({
      id: String(id),
      topic: String(topic),
      body,
      state: "reserved",
      attempts: Number(attempts),
      ttrMs: Number(ttrMs),
      dueAt: Number(dueAt),
      reservedUntil: Number(reservedUntil),
      pushedAt: Number(pushedAt),
      token: String(seq),
    });
  }
  return jobs;
}
