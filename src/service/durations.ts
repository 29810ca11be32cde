import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError } from "../queue/index.js";

/**
 * Seconds as the API carries them (fractions allowed) to whole milliseconds
 * as the queue takes them. Range checks stay with the queue's limits.
 */
export function secondsToMs(field: string | (() => string), seconds: number): number {
  if (!Number.isFinite(seconds)) {
    const name = typeof field === "string" ? field : field();
    throw new InvalidArgumentError(name, `${name} must be a finite number of seconds`);
  }
  return Math.round(seconds * 1000);
}

export function msToSeconds(ms: number): number {
  return ms / 1000;
}

/**
 * A Timestamp for a whole-ms time at or after the epoch, built as a literal: a batch
 * answers with thousands, and `create()` would walk the schema for each.
 */
export function timestampLiteral(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}
