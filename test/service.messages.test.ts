import { equals, toBinary } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { timestampLiteral } from "../src/service/durations.js";

describe("timestampLiteral", () => {
  it("builds the message timestampFromMs builds, down to the wire bytes", () => {
    for (const ms of [0, 1, 999, 1000, 1001, 1_764_000_000_123, 4_102_444_800_999]) {
      const literal = timestampLiteral(ms);
      const reference = timestampFromMs(ms);
      expect(equals(TimestampSchema, literal, reference)).toBe(true);
      expect(toBinary(TimestampSchema, literal)).toEqual(toBinary(TimestampSchema, reference));
    }
  });
});
