import { InvalidArgumentError } from "./errors.js";

/** Bounds on what a job may carry and what one process takes on. Durations in ms. */
export interface Limits {
  /** Longest topic name, in characters. Default: 128. */
  maxTopicLength: number;
  /** Longest id, in UTF-8 bytes. Default: 256. */
  maxIdBytes: number;
  /** Largest body, in bytes. Default: 1 MiB. */
  maxBodyBytes: number;
  /** Longest delay. Default: (2^31 − 1) s. */
  maxDelayMs: number;
  /** Shortest ttr. Default: 1 ms (the legacy API asks for whole seconds). */
  minTtrMs: number;
  /** Longest ttr. Default: 86 400 s. */
  maxTtrMs: number;
  /** Longest pop wait. Default: 180 s. */
  maxPopTimeoutMs: number;
  /**
   * Most pops long-polling at once in this process (each holds a request,
   * a timer and a waiter). One more is refused with `resource_exhausted`
   * unless a job is ready for it at once. Default: 10 000.
   */
  maxWaitingPops: number;
  /** Most jobs one batch push, pop or finish handles. Default: 10 000. */
  maxBatchJobs: number;
}

/** The limits of DESIGN §2. */
export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxTopicLength: 128,
  maxIdBytes: 256,
  maxBodyBytes: 1024 * 1024,
  maxDelayMs: (2 ** 31 - 1) * 1000,
  minTtrMs: 1,
  maxTtrMs: 86_400 * 1000,
  maxPopTimeoutMs: 180 * 1000,
  maxWaitingPops: 10_000,
  maxBatchJobs: 10_000,
});

const topicPattern = /^[A-Za-z0-9._:-]+$/;
const loneSurrogate = /\p{Cs}/u;

export function checkTopic(topic: unknown, limits: Limits, field = "topic"): string {
  if (typeof topic !== "string" || topic.length === 0) {
    throw new InvalidArgumentError(field, `${field} is required`);
  }
  if (topic.length > limits.maxTopicLength) {
    throw new InvalidArgumentError(
      field,
      `${field} is longer than ${limits.maxTopicLength} characters`,
    );
  }
  if (!topicPattern.test(topic)) {
    throw new InvalidArgumentError(
      field,
      `${field} "${topic}" may contain only letters, digits and . _ : -`,
    );
  }
  return topic;
}

export function checkTopics(topics: unknown, limits: Limits): string[] {
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new InvalidArgumentError("topics", "at least one topic is required");
  }
  const unique = [...new Set(topics.map((t) => checkTopic(t, limits)))];
  if (unique.length > 64) {
    throw new InvalidArgumentError("topics", "at most 64 topics per pop");
  }
  return unique;
}

export function checkId(id: unknown, limits: Limits): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new InvalidArgumentError("id", "id is required");
  }
  if (Buffer.byteLength(id, "utf8") > limits.maxIdBytes) {
    throw new InvalidArgumentError("id", `id is longer than ${limits.maxIdBytes} bytes`);
  }
  // A lone surrogate (JSON "\ud800") has no UTF-8 form: as a key it would turn into U+FFFD,
  // and ids differing only there would name the same job.
  if (loneSurrogate.test(id)) {
    throw new InvalidArgumentError("id", "id must be valid Unicode text (it has a lone surrogate)");
  }
  return id;
}

/** A duration for messages: whole seconds as seconds, anything else as ms. */
function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Checks every job of a batch (a list of at most `limits.maxBatchJobs`) before
 * any is acted on; an error names the job's index (`jobs[3].id`).
 */
export function checkJobs<T, R>(inputs: unknown, limits: Limits, check: (input: T) => R): R[] {
  if (!Array.isArray(inputs)) throw new InvalidArgumentError("jobs", "jobs must be a list");
  if (inputs.length > limits.maxBatchJobs) {
    throw new InvalidArgumentError("jobs", `at most ${limits.maxBatchJobs} jobs per batch`);
  }
  return inputs.map((input: T, i) => {
    try {
      return check(input);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new InvalidArgumentError(`jobs[${i}].${error.field}`, `jobs[${i}]: ${error.message}`);
    }
  });
}

export function checkDuration(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InvalidArgumentError(field, `${field} must be a whole number of milliseconds`);
  }
  if (value < min || value > max) {
    throw new InvalidArgumentError(
      field,
      `${field} must be between ${formatMs(min)} and ${formatMs(max)}`,
    );
  }
  return value;
}

export function checkBody(body: unknown, limits: Limits): string | Buffer {
  // A string goes to Redis as it is: ioredis writes an all-string command without
  // turning every argument into a Buffer.
  let checked: string | Buffer;
  if (typeof body === "string") checked = body;
  else if (body instanceof Uint8Array)
    checked = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else throw new InvalidArgumentError("body", "body must be a string or bytes");
  if (Buffer.byteLength(checked) > limits.maxBodyBytes) {
    throw new InvalidArgumentError("body", `body is larger than ${limits.maxBodyBytes} bytes`);
  }
  return checked;
}
