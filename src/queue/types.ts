/** Where a job is in its life. */
export type JobState = "delayed" | "ready" | "reserved";

/** A stored job as `get` returns it. Times are Unix milliseconds on the Redis clock. */
export interface Job {
  id: string;
  topic: string;
  body: Buffer;
  state: JobState;
  /** How many times the job has been handed out. */
  attempts: number;
  /** Time to run after each hand-out, ms. */
  ttrMs: number;
  /** When the job is (or was) due to become ready. */
  dueAt: number;
  /** When the job was last pushed (created or replaced). */
  pushedAt: number;
  /** While reserved: when the reservation runs out and the job comes back. */
  reservedUntil: number | undefined;
}

/** A job handed out by `pop`: reserved until `reservedUntil`. */
export interface ReservedJob extends Omit<Job, "state" | "reservedUntil"> {
  state: "reserved";
  reservedUntil: number;
  /**
   * Identifies this hand-out. `finish` and `release` given the token act only
   * if the job is still reserved by this very hand-out.
   */
  token: string;
}

/** What `push` takes. Durations in ms. */
export interface PushInput {
  topic: string;
  id: string;
  body: string | Uint8Array;
  /** Wait before the job is ready. 0 means ready now. */
  delayMs: number;
  /** Time the consumer has to finish the job after each hand-out. */
  ttrMs: number;
  /** Refuse (JobExistsError) instead of replacing when the id exists. Default: false. */
  ifAbsent?: boolean;
}

export interface PushResult {
  /** When the job is due, ms on the Redis clock. */
  dueAt: number;
  /** Whether an existing job with this id was replaced. */
  replaced: boolean;
}

/** One job's outcome in a batch push. */
export interface PushManyResult extends PushResult {
  /** `ifAbsent` was set and the id existed: nothing was written for this job. */
  refused: boolean;
}

/**
 * What a pop watches to stop waiting. An `AbortSignal` is one; so is any
 * object with these members, which lets a server pass something lighter than
 * an `AbortController` per request (on Node 20 a third of what creating one
 * allocates survives young-generation GC).
 */
export interface StopSignal {
  readonly aborted: boolean;
  /** Why it aborted, when it has. */
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export interface PopOptions {
  /** Longest wait for a job to become ready, ms. 0 tries once. Default: 0. */
  timeoutMs?: number;
  /** Aborting ends the wait with `null`; no job is taken. */
  signal?: StopSignal;
}

/** One job of `finishMany`. */
export interface FinishInput {
  id: string;
  /** Finish only while reserved by the hand-out with this token. Default: any state. */
  token?: string;
}

/** Outcome of `finish` and `release`. */
export type SettleResult = "done" | "not_reserved" | "not_found";
