/**
 * The ceiling: the least a server on this box can do per request. A bare
 * fastify app (HTTP/1.1) answering the legacy routes with the legacy envelope
 * and the Connect Push route with a fixed binary reply, plus a bare
 * `node:http2` server answering any gRPC call with a fixed message. No queue,
 * no Redis, no validation. Run as its own process by ceiling.ts; prints
 * `ready <h1 port> <h2 port>` on stdout once both listen.
 */
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import Fastify from "fastify";
import { PushResponseSchema } from "../../gen/delayqueue/v1/delay_queue_pb.js";

const host = "127.0.0.1";
const envelope = { code: 0, message: "ok", data: null };
const popEnvelope = {
  code: 0,
  message: "ok",
  data: { id: "c000000000001", body: "x".repeat(100), topic: "bench" },
};
// A PushResponse with a due time, the size of the real one.
const protoReply = Buffer.from(
  toBinary(PushResponseSchema, create(PushResponseSchema, { dueTime: timestampNow() })),
);

const app = Fastify({ logger: false });
app.addContentTypeParser("application/proto", { parseAs: "buffer" }, (_req, body, done) =>
  done(null, body),
);
app.post("/push", async () => envelope);
app.post("/finish", async () => envelope);
app.post("/pop", async () => popEnvelope);
app.post("/delayqueue.v1.DelayQueueService/:method", async (_request, reply) => {
  reply.header("content-type", "application/proto");
  return protoReply;
});
await app.listen({ host, port: 0 });
const address = app.server.address();
const h1Port = typeof address === "object" && address ? address.port : 0;

const frame = Buffer.alloc(5 + protoReply.length);
frame.writeUInt32BE(protoReply.length, 1);
protoReply.copy(frame, 5);
const h2 = http2.createServer();
h2.on("stream", (stream) => {
  stream.on("data", () => {});
  stream.on("end", () => {
    stream.respond(
      { ":status": 200, "content-type": "application/grpc" },
      { waitForTrailers: true },
    );
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame);
  });
});
h2.on("sessionError", () => {});
await new Promise<void>((resolve) => h2.listen(0, host, resolve));
const h2Address = h2.address();
const h2Port = typeof h2Address === "object" && h2Address ? h2Address.port : 0;
process.stdout.write(`ready ${h1Port} ${h2Port}\n`);
process.on("SIGTERM", () => process.exit(0));
