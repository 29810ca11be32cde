import { type Timestamp, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError } from "../queue/index.js";

/**
 * Seconds as the API carries them (fractions allowed) to whole milliseconds
 * as the queue takes them. Range checks stay with the queue's limits.
 */
export function secondsToMs(field: string, seconds: number): number {
  if (!Number.isFinite(seconds)) {
    throw new InvalidArgumentError(field, `${field} must be a finite number of seconds`);
  }
  return Math.round(seconds * 1000);
}

export function msToSeconds(ms: number): number {
  return ms / 1000;
}

export function timestamp(ms: number | undefined): Timestamp | undefined {
  return ms === undefined ? undefined : timestampFromMs(ms);
}
