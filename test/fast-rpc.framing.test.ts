import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BodyCollector, frame, percentEncode } from "../src/server/fast-rpc/framing.js";

/** The error `run` throws. */
function thrown(run: () => unknown): ConnectError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConnectError) return error;
    throw error;
  }
  throw new Error("expected a ConnectError");
}

describe("percentEncode", () => {
  it("leaves space and visible ASCII as they are, but %", () => {
    expect(percentEncode('no job with id "a b"')).toBe('no job with id "a b"');
    expect(percentEncode("100% sure")).toBe("100%25 sure");
  });

  it("encodes UTF-8 bytes and control characters, and a lone surrogate as U+FFFD", () => {
    expect(percentEncode("ünï\n")).toBe("%C3%BCn%C3%AF%0A");
    expect(percentEncode("bad \ud800")).toBe("bad %EF%BF%BD");
    expect(decodeURIComponent(percentEncode("✓ 100%"))).toBe("✓ 100%");
  });
});

describe("BodyCollector", () => {
  it("finds one frame whatever chunks it came in", () => {
    const message = Buffer.from("hello");
    const whole = frame(message);
    for (let cut = 0; cut <= whole.length; cut++) {
      const body = new BodyCollector(100, true);
      body.push(whole.subarray(0, cut));
      body.push(whole.subarray(cut));
      expect(body.message()).toEqual(message);
    }
  });

  it("refuses a length prefix over the limit as soon as the prefix is in", () => {
    const body = new BodyCollector(10, true);
    body.push(Buffer.from([0, 0, 0]));
    const error = thrown(() => body.push(Buffer.from([0, 11])));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("message size 11 is larger than configured readMaxBytes 10");
  });

  it("refuses an unframed body once it grows past the limit", () => {
    const body = new BodyCollector(4, false);
    body.push(Buffer.from("1234"));
    expect(thrown(() => body.push(Buffer.from("5"))).code).toBe(Code.ResourceExhausted);
  });

  it.each([
    ["no frame", Buffer.alloc(0), Code.Unimplemented, "missing input message"],
    ["a cut header", Buffer.from([0, 0]), Code.InvalidArgument, "incomplete envelope"],
    ["a cut message", frame(Buffer.from("abc")).subarray(0, 7), Code.InvalidArgument, "incomplete"],
    [
      "a compressed frame",
      frame(Buffer.from("abc")).fill(1, 0, 1),
      Code.InvalidArgument,
      "compressed",
    ],
    [
      "a second frame",
      Buffer.concat([frame(Buffer.from("a")), frame(Buffer.from("b"))]),
      Code.Unimplemented,
      "extra input message",
    ],
    [
      "a cut second frame",
      Buffer.concat([frame(Buffer.from("a")), Buffer.from([0, 0])]),
      Code.InvalidArgument,
      "incomplete envelope",
    ],
  ])("answers %s as connect-es does", (_name, bytes, code, message) => {
    const body = new BodyCollector(100, true);
    body.push(bytes);
    const error = thrown(() => body.message());
    expect(error.code).toBe(code);
    expect(error.rawMessage).toContain(message);
  });
});
