import type { ClientHttp2Session } from "node:http2";
import { afterAll, describe, expect, it } from "vitest";
import { grpcStatusOf, grpcWebStatusOf } from "./harness/grpc-status.js";
import { withRedis } from "./harness/index.js";
import { h2Request, h2Session } from "./harness/raw-http2.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);
let h2: ClientHttp2Session | undefined;
/** One HTTP/2 session for the file, opened on first use. */
const session = () => {
  h2 ??= h2Session(dq.url);
  return h2;
};
afterAll(() => h2?.close());

const get = "/delayqueue.v1.DelayQueueService/Get";
/** Field 1 (id) as a string whose 4 bytes are not UTF-8: not valid binary protobuf. */
const badProto = Buffer.from([0x0a, 0x04, 0xff, 0xfe, 0x41, 0x41]);

function frame(payload: Buffer, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, payload]);
}

describe("requests the server cannot decode", () => {
  it("answers invalid binary protobuf with invalid_argument over Connect, gRPC and gRPC-web", async () => {
    const connect = await fetch(new URL(get, dq.url), {
      method: "POST",
      headers: { "content-type": "application/proto", "connect-protocol-version": "1" },
      body: badProto,
    });
    expect(connect.status).toBe(400);
    expect(await connect.json()).toMatchObject({ code: "invalid_argument" });

    const grpc = await h2Request(
      session(),
      get,
      { "content-type": "application/grpc", te: "trailers" },
      frame(badProto),
    );
    expect(grpcStatusOf(grpc.headers, grpc.trailers)).toBe(3);

    const web = await fetch(new URL(get, dq.url), {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: frame(badProto),
    });
    expect(grpcWebStatusOf(web.headers, Buffer.from(await web.arrayBuffer()))).toBe(3);
  });

  // protobuf-es quotes the bad value in its message, and connect-es could not percent-encode
  // a lone surrogate into grpc-message: the call ended with an empty HTTP 200, or not at all.
  it.each(["application/grpc+json", "application/grpc-web+json"])(
    "ends a %s call whose error quotes a lone surrogate with a status",
    async (contentType) => {
      const body = frame(Buffer.from('{"topics":"\\ud800"}'));
      const pop = "/delayqueue.v1.DelayQueueService/Pop";
      if (contentType.includes("web")) {
        const web = await fetch(new URL(pop, dq.url), {
          method: "POST",
          headers: { "content-type": contentType },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        expect(grpcWebStatusOf(web.headers, Buffer.from(await web.arrayBuffer()))).toBe(3);
      } else {
        const grpc = await h2Request(
          session(),
          pop,
          { "content-type": contentType, te: "trailers" },
          body,
          5_000,
        );
        expect(grpc.error).toBeUndefined();
        expect(grpcStatusOf(grpc.headers, grpc.trailers)).toBe(3);
      }
    },
  );

  it("answers a gRPC frame past the size limit at once, without reading the body", async () => {
    // A frame that claims 4 GiB: refused from its header; the client cancels what is left.
    const body = frame(Buffer.alloc(512 * 1024), 0xffffffff);
    const started = performance.now();
    const headers = { "content-type": "application/grpc", te: "trailers" };
    const answer = await h2Request(session(), get, headers, body, 5_000);
    expect(answer.error).toBeUndefined();
    expect(grpcStatusOf(answer.headers, answer.trailers)).toBe(8); // RESOURCE_EXHAUSTED
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
