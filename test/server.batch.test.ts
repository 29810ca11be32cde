import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const served = withServer(redis);

const transports = {
  "Connect binary": () =>
    createConnectTransport({ baseUrl: served.url, httpVersion: "1.1", useBinaryFormat: true }),
  gRPC: () => createGrpcTransport({ baseUrl: served.url }),
};

describe("PushBatch and PopBatch", () => {
  for (const [name, transport] of Object.entries(transports)) {
    it(`pushes and pops in batches over ${name}`, async () => {
      const client = createClient(DelayQueueService, transport());
      const topic = `batch-${name.replace(/\W/g, "")}`;
      const jobs = Array.from({ length: 300 }, (_, i) => ({
        topic,
        id: `${topic}-${i}`,
        body: `b${i}`,
        delay: 0,
        ttr: 60,
      }));
      const pushed = await client.pushBatch({ jobs: [...jobs, { ...jobs[0], ifAbsent: true }] });
      expect(pushed.results).toHaveLength(301);
      expect(pushed.results.at(-1)?.refused).toBe(true);
      expect(pushed.results[0]?.dueTime).toBeDefined();
      const seen = new Set<string>();
      for (let round = 0; round < 5 && seen.size < 300; round++) {
        const { jobs: popped } = await client.popBatch({ topics: [topic], max: 100, timeout: 1 });
        for (const job of popped) seen.add(job.id);
      }
      expect(seen.size).toBe(300);
      expect((await client.popBatch({ topics: [topic], max: 10 })).jobs).toEqual([]);
    });
  }

  it("refuses a batch with one bad job as invalid_argument, naming it", async () => {
    const client = createClient(DelayQueueService, transports["Connect binary"]());
    const error = await client
      .pushBatch({
        jobs: [
          { topic: "ok", id: "a", ttr: 5 },
          { topic: "ok", id: "b", ttr: 0 },
        ],
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toContain("jobs[1]");
    const missing = await client.get({ id: "a" }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e).code,
    );
    expect(missing).toBe(Code.NotFound);
  });
});
