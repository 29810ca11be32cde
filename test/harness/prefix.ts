import { randomBytes } from "node:crypto";

/** A key prefix no other test uses, so tests sharing a Redis never see each other's jobs. */
export function uniquePrefix(label = "t"): string {
  return `${label}-${randomBytes(4).toString("hex")}`;
}
