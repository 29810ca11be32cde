import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { DelayQueueService, JobState } from "../gen/delayqueue/v1/delay_queue_pb.js";
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

/** The call's failure as a ConnectError; undefined when it succeeded. */
const failure = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe("FinishBatch", () => {
  for (const [name, transport] of Object.entries(transports)) {
    it(`finishes a popped batch, then reports it gone, over ${name}`, async () => {
      const client = createClient(DelayQueueService, transport());
      const topic = `finish-${name.replace(/\W/g, "")}`;
      await client.pushBatch({
        jobs: Array.from({ length: 200 }, (_, i) => ({ topic, id: `${topic}-${i}`, ttr: 60 })),
      });
      const { jobs } = await client.popBatch({ topics: [topic], max: 200, timeout: 1 });
      expect(jobs).toHaveLength(200);
      const finishes = jobs.map(({ id, token }) => ({ id, token }));
      const first = await client.finishBatch({ jobs: finishes });
      expect(first.finished).toEqual(jobs.map(() => true));
      const again = await client.finishBatch({ jobs: finishes });
      expect(again.finished).toEqual(jobs.map(() => false));
    });
  }

  it("answers false for a wrong token and leaves that job reserved", async () => {
    const client = createClient(DelayQueueService, transports.gRPC());
    const topic = "finish-token";
    await client.pushBatch({
      jobs: [
        { topic, id: "tok-a", ttr: 60 },
        { topic, id: "tok-b", ttr: 60 },
      ],
    });
    const { jobs } = await client.popBatch({ topics: [topic], max: 2, timeout: 1 });
    const [a, b] = jobs;
    if (!a || !b) throw new Error("expected two jobs");
    const { finished } = await client.finishBatch({
      jobs: [
        { id: a.id, token: `${a.token}9` },
        { id: b.id, token: b.token },
      ],
    });
    expect(finished).toEqual([false, true]);
    expect((await client.get({ id: a.id })).job?.state).toBe(JobState.RESERVED);
  });

  it("refuses a batch with an invalid id, naming its index, and finishes none of it", async () => {
    const client = createClient(DelayQueueService, transports["Connect binary"]());
    const topic = "finish-invalid";
    await client.push({ topic, id: "inv-a", ttr: 60 });
    const { jobs } = await client.popBatch({ topics: [topic], max: 1, timeout: 1 });
    const error = await failure(
      client.finishBatch({
        jobs: [{ id: "inv-a", token: jobs[0]?.token }, { id: "inv-b" }, { id: "" }],
      }),
    );
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toContain("jobs[2]");
    expect((await client.get({ id: "inv-a" })).job?.state).toBe(JobState.RESERVED);
  });

  it("refuses an empty batch and one of more than 10000 jobs", async () => {
    const client = createClient(DelayQueueService, transports["Connect binary"]());
    const empty = await failure(client.finishBatch({ jobs: [] }));
    expect(empty?.code).toBe(Code.InvalidArgument);
    expect(empty?.rawMessage).toMatch(/at least one job/);
    const jobs = Array.from({ length: 10_001 }, (_, i) => ({ id: `many-${i}` }));
    const tooMany = await failure(client.finishBatch({ jobs }));
    expect(tooMany?.code).toBe(Code.InvalidArgument);
    expect(tooMany?.rawMessage).toMatch(/at most 10000 jobs/);
  });
});
