/**
 * Plain shapes the SDK takes and returns. Durations are seconds as numbers,
 * like the API: fractions are allowed down to the millisecond (`0.25` is
 * 250 ms); the server rounds finer fractions to the nearest millisecond.
 */

/** Where a job is in its life. `"unspecified"` only appears if the server sends no state. */
export type JobState = "delayed" | "ready" | "reserved" | "unspecified";

/** A job as the server stores it, or as `pop` hands it out. */
export interface Job {
  /** 1–128 characters of `[A-Za-z0-9._:-]`. */
  topic: string;
  /** 1–256 bytes, unique across topics. */
  id: string;
  /** The payload. */
  body: string;
  /** Where the job is in its life; a popped job is `"reserved"`. */
  state: JobState;
  /** The delay it was pushed with, seconds. */
  delay: number;
  /** Time to run after each hand-out, seconds. */
  ttr: number;
  /** How many times the job has been handed out (a popped job counts its own hand-out). */
  attempts: number;
  /** When the job is (or was) due to become ready. */
  dueTime: Date | undefined;
  /** While reserved: when the reservation runs out and the job comes back. */
  reservedUntil: Date | undefined;
  /** When the job was pushed (created or last replaced). */
  pushTime: Date | undefined;
  /**
   * Set on popped jobs: identifies this hand-out. Pass it to `finish` and
   * `release` so that they act only on this hand-out, not on a later one.
   */
  token: string | undefined;
}

/** What `push` takes. */
export interface PushInput {
  /** 1–128 characters of `[A-Za-z0-9._:-]`. */
  topic: string;
  /** 1–256 bytes. An existing job with this id is replaced, unless `ifAbsent`. */
  id: string;
  /**
   * The payload, up to the server's body limit (1 MiB unless configured).
   * @defaultValue `""`
   */
  body?: string;
  /**
   * Seconds before the job is ready: 0 (ready now) to 2147483647.
   * @defaultValue `0`
   */
  delay?: number;
  /** Seconds a consumer has to finish the job after each pop: 0.001 to 86400. */
  ttr: number;
  /**
   * Refuse with `ConnectError` code `already_exists` instead of replacing an existing job.
   * @defaultValue `false`
   */
  ifAbsent?: boolean;
}

/** What `push` returns. */
export interface PushResult {
  /** When the job becomes ready. */
  dueTime: Date | undefined;
  /** An existing job with this id was replaced. */
  replaced: boolean;
}

/** What `pop` takes. */
export interface PopInput {
  /** 1–64 topics, in order of preference. */
  topics: readonly string[];
  /**
   * Seconds to wait for a job to become ready: 0 (look once) to 180.
   * @defaultValue `0`
   */
  timeout?: number;
}

/** One job's outcome in `pushBatch`. */
export interface PushBatchResult extends PushResult {
  /** `ifAbsent` was set and the id existed: nothing was written for this job. */
  refused: boolean;
}

/** What `popBatch` takes. */
export interface PopBatchInput extends PopInput {
  /** Most jobs to reserve: 1–10 000. */
  max: number;
}

/** What `finish` takes, and `finishBatch` for each job. */
export interface FinishInput {
  /** The job's id. */
  id: string;
  /**
   * The popped job's token: finish only that hand-out.
   * @defaultValue none: finish the job whatever reservation it is in
   */
  token?: string | undefined;
}

/** What `finish` returns. */
export interface FinishResult {
  /** False when the job was already gone or no longer reserved (by that token). */
  finished: boolean;
}

/** What `release` takes. */
export interface ReleaseInput {
  /** The job's id. */
  id: string;
  /**
   * The popped job's token: release only that hand-out.
   * @defaultValue none: release the job whatever reservation it is in
   */
  token?: string | undefined;
  /**
   * Seconds before the job is ready again: 0 (now) to 2147483647.
   * @defaultValue `0`
   */
  delay?: number;
}

/** What `delete` takes. */
export interface DeleteInput {
  /** The job's id. */
  id: string;
}

/** What `delete` returns. */
export interface DeleteResult {
  /** False when there was no such job. */
  deleted: boolean;
}

/** What `get` takes. */
export interface GetInput {
  /** The job's id. */
  id: string;
}

/**
 * Header values in any form the `Headers` constructor takes: a `Headers`,
 * a record, or a list of name/value pairs.
 */
export type HeadersInit = NonNullable<ConstructorParameters<typeof Headers>[0]>;

/** Options of one call; each overrides the client's setting for that call only. */
export interface CallOptions {
  /**
   * Cancels the call: it rejects with `ConnectError` code `canceled`. A
   * cancelled `pop` takes no job.
   * @defaultValue none
   */
  signal?: AbortSignal | undefined;
  /**
   * Deadline of this call in ms; past it the call rejects with `ConnectError`
   * code `deadline_exceeded` (a cancelled `pop` takes no job). 0 or less: no deadline.
   * @defaultValue the client's `timeoutMs` (for `pop`, plus its `timeout`)
   */
  timeoutMs?: number | undefined;
  /**
   * Headers for this call; they win over the client's `headers` and `token`.
   * @defaultValue none
   */
  headers?: HeadersInit | undefined;
}
