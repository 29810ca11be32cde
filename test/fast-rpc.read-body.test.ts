import { PassThrough } from "node:stream";
import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BodyCollector, frame } from "../src/server/fast-rpc/framing.js";
import { readBody } from "../src/server/fast-rpc/run-call.js";

/** The listeners `readBody` may leave: a closed HTTP/2 stream is kept a GC longer than its call. */
const left = (source: PassThrough) => ({
  data: source.listenerCount("data"),
  end: source.listenerCount("end"),
});

describe("readBody", () => {
  it("hands over the body at its end and leaves no listener on the source", async () => {
    const source = new PassThrough();
    const before = left(source);
    const body = new BodyCollector(1024, true);
    const read = new Promise<Buffer>((resolve, reject) =>
      readBody(source, body, () => resolve(body.message()), reject),
    );
    const framed = Buffer.from(frame(new Uint8Array([1, 2, 3, 4])));
    source.write(framed.subarray(0, 3));
    source.end(framed.subarray(3));
    expect([...(await read)]).toEqual([1, 2, 3, 4]);
    expect(left(source)).toEqual(before);
  });

  it("stops reading a body over the limit and leaves no listener on the source", async () => {
    const source = new PassThrough();
    const before = left(source);
    let ended = false;
    const refused = new Promise<ConnectError>((resolve) =>
      readBody(source, new BodyCollector(8, true), () => (ended = true), resolve),
    );
    source.write(Buffer.from(frame(new Uint8Array(64))));
    expect((await refused).code).toBe(Code.ResourceExhausted);
    // Flowing again, the source would reach its end for any listener left on it.
    source.resume();
    source.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    expect(left(source)).toEqual(before);
  });
});
