import { describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "../sdk/index.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

describe("SDK batch calls", () => {
  for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
    it(`pushes and pops in batches over ${protocol}`, async () => {
      const client = createClient({ baseUrl: dq.url, protocol });
      const topic = `sdk-batch-${protocol}`;
      const inputs = Array.from({ length: 50 }, (_, i) => ({
        topic,
        id: `${topic}-${i}`,
        body: `b${i}`,
        ttr: 30,
      }));
      const results = await client.pushBatch([
        ...inputs,
        { topic, id: `${topic}-0`, ttr: 30, ifAbsent: true },
      ]);
      expect(results).toHaveLength(51);
      expect(results.at(-1)?.refused).toBe(true);
      expect(results[0]?.dueTime).toBeInstanceOf(Date);
      const jobs = await client.popBatch({ topics: [topic], max: 50, timeout: 1 });
      expect(new Set(jobs.map((j) => j.id)).size).toBe(50);
      expect(jobs.every((j) => j.state === "reserved" && j.token)).toBe(true);
      expect(await client.popBatch({ topics: [topic], max: 5 })).toEqual([]);
    });

    it(`finishes a popped batch in one call over ${protocol}`, async () => {
      const client = createClient({ baseUrl: dq.url, protocol });
      const topic = `sdk-finish-${protocol}`;
      await client.pushBatch(
        Array.from({ length: 40 }, (_, i) => ({ topic, id: `${topic}-${i}`, ttr: 30 })),
      );
      const jobs = await client.popBatch({ topics: [topic], max: 40, timeout: 1 });
      expect(jobs).toHaveLength(40);
      expect(await client.finishBatch(jobs)).toEqual(jobs.map(() => true));
      expect(await client.finishBatch(jobs)).toEqual(jobs.map(() => false));
      expect(await client.get({ id: `${topic}-0` })).toBeUndefined();
    });
  }

  it("rejects a batch with an invalid job, naming its index", async () => {
    const client = createClient({ baseUrl: dq.url });
    const failure = await client
      .pushBatch([
        { topic: "t", id: "fine", ttr: 1 },
        { topic: "bad topic", id: "x", ttr: 1 },
      ])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toContain("jobs[1]");
    expect(await client.get({ id: "fine" })).toBeUndefined();
  });

  it("refuses a batch finish with an invalid id, naming its index, finishing nothing", async () => {
    const client = createClient({ baseUrl: dq.url });
    await client.push({ topic: "sdk-finish-bad", id: "sdk-finish-bad", ttr: 30 });
    const [job] = await client.popBatch({ topics: ["sdk-finish-bad"], max: 1, timeout: 1 });
    if (!job) throw new Error("expected a job");
    const failure = await client.finishBatch([job, { id: "" }]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toContain("jobs[1]");
    expect((await client.get({ id: job.id }))?.state).toBe("reserved");
    expect(await client.finishBatch([job])).toEqual([true]);
  });
});
