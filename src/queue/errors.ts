/**
 * Domain errors of the queue engine. The service layer maps each `kind` to an
 * RPC code; nothing in here knows about HTTP or Connect.
 */
export type QueueErrorKind =
  /** The caller sent a value outside the documented limits. */
  | "invalid_argument"
  /** Push in "only if absent" mode met an existing job. */
  | "already_exists"
  /** A per-process limit is reached (too many parked pops); retry later. */
  | "resource_exhausted"
  /** The queue was closed; no new work is accepted. */
  | "closed"
  /** Redis answered something the engine does not understand. */
  | "internal";

/** Base class of every error the engine throws on purpose. */
export class QueueError extends Error {
  override name = "QueueError";
  constructor(
    readonly kind: QueueErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** A field failed validation; `field` names it as the API spells it. */
export class InvalidArgumentError extends QueueError {
  override name = "InvalidArgumentError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("invalid_argument", message);
  }
}

/** Push with `ifAbsent` found a job with the same id. */
export class JobExistsError extends QueueError {
  override name = "JobExistsError";
  constructor(readonly id: string) {
    super("already_exists", `a job with id "${id}" already exists`);
  }
}

/** The queue is closing or closed. */
export class QueueClosedError extends QueueError {
  override name = "QueueClosedError";
  constructor() {
    super("closed", "the queue is closed");
  }
}

/** A long-poll would exceed `limits.maxWaitingPops`; the caller should retry later. */
export class TooManyWaitingPopsError extends QueueError {
  override name = "TooManyWaitingPopsError";
  constructor(readonly limit: number) {
    super(
      "resource_exhausted",
      `too many pops are waiting in this process (limit ${limit}): retry later`,
    );
  }
}
