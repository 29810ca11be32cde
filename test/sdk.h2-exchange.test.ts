import type { ClientHttp2Stream } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { PopRequestSchema, PushRequestSchema } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { CallStop } from "../sdk/node-transport/call-stop.js";
import { grpcUnary } from "../sdk/node-transport/grpc-unary.js";
import { h2Exchange } from "../sdk/node-transport/h2-exchange.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis, { authTokens: ["s3cret"] });

const events = ["response", "data", "trailers", "end", "close", "error"] as const;
type Listeners = Record<(typeof events)[number], unknown[]>;

function listeners(stream: ClientHttp2Stream): Listeners {
  return Object.fromEntries(events.map((e) => [e, stream.listeners(e)])) as Listeners;
}

/** How many listeners of each event the stream has gained since `before`. */
function added(stream: ClientHttp2Stream, before: Listeners): Record<string, number> {
  const now = listeners(stream);
  return Object.fromEntries(
    events.map((e) => [e, now[e].filter((l) => !before[e].includes(l)).length]),
  );
}

/** Nothing but the error listener that stays, so a late reset cannot throw with nobody listening. */
const none = { response: 0, data: 0, trailers: 0, end: 0, close: 0, error: 1 };

/** A session manager that notes each stream's listeners as node:http2 hands it over. */
class RecordingManager extends Http2SessionManager {
  readonly streams: { stream: ClientHttp2Stream; before: Listeners }[] = [];

  override async request(...args: Parameters<Http2SessionManager["request"]>) {
    const stream = await super.request(...args);
    this.streams.push({ stream, before: listeners(stream) });
    return stream;
  }
}

const managers: RecordingManager[] = [];
afterEach(() => {
  for (const manager of managers.splice(0)) manager.abort();
});

function exchange() {
  const manager = new RecordingManager(dq.url);
  managers.push(manager);
  return { manager, exchange: h2Exchange(manager) };
}

const path = "/delayqueue.v1.DelayQueueService/Push";
const push = (id: string) =>
  grpcUnary.body(
    PushRequestSchema,
    create(PushRequestSchema, { topic: "h2x", id, body: "b", delay: 60, ttr: 30 }),
  );

describe("the SDK's HTTP/2 exchange", () => {
  // node:http2 keeps a closed stream until the GC after the next: what the call's listeners
  // hold would be kept with it.
  it("takes its listeners off a stream once the call has its answer", async () => {
    const { manager, exchange: h2 } = exchange();
    const headers = { ...grpcUnary.headers(undefined), authorization: "Bearer s3cret" };
    const reply = await h2.send(path, headers, push("h2x-1"), new CallStop());
    expect(reply.status).toBe(200);
    expect(reply.trailers?.["grpc-status"]).toBe("0");
    const [{ stream, before }] = manager.streams as [
      { stream: ClientHttp2Stream; before: Listeners },
    ];
    expect(added(stream, before)).toEqual(none);
  });

  it("does the same when the call is stopped before its answer", async () => {
    const { manager, exchange: h2 } = exchange();
    const stop = new CallStop();
    const headers = { ...grpcUnary.headers(undefined), authorization: "Bearer s3cret" };
    const pop = "/delayqueue.v1.DelayQueueService/Pop";
    const body = grpcUnary.body(
      PopRequestSchema,
      create(PopRequestSchema, { topics: ["h2x-none"], timeout: 5 }),
    );
    const call = h2.send(pop, headers, body, stop);
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop.stop(new ConnectError("stopped", Code.Canceled));
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
    const [{ stream, before }] = manager.streams as [
      { stream: ClientHttp2Stream; before: Listeners },
    ];
    expect(added(stream, before)).toEqual(none);
  });
});
