import net from "node:net";
import { describe, expect, it } from "vitest";
import { RawH1Connection } from "../bench/lib/raw-h1.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

const json = (reply: { body: Buffer }) => JSON.parse(reply.body.toString());

describe("the bench's raw HTTP/1.1 client", () => {
  it("pushes, pops and finishes over the legacy routes, requests queued on one connection", async () => {
    const connection = new RawH1Connection(dq.url);
    await connection.ready;
    const ids = Array.from({ length: 50 }, (_, i) => `h1-${i}`);
    const pushes = await Promise.all(
      ids.map((id) =>
        connection.send(
          connection.post(
            "/push",
            JSON.stringify({ topic: "h1", id, delay: 0, ttr: 30, body: `b-${id}` }),
          ),
        ),
      ),
    );
    expect(pushes.map((reply) => [reply.status, json(reply).code])).toEqual(
      ids.map(() => [200, 0]),
    );
    const pop = connection.post("/pop", JSON.stringify({ topic: "h1", timeout: 0 }));
    const popped = await Promise.all(ids.map(() => connection.send(pop)));
    const jobs = popped.map((reply) => json(reply).data as { id: string; body: string });
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    expect(jobs.every((job) => job.body === `b-${job.id}`)).toBe(true);
    const finishes = await Promise.all(
      jobs.map((job) =>
        connection.send(connection.post("/finish", JSON.stringify({ id: job.id }))),
      ),
    );
    expect(finishes.every((reply) => json(reply).code === 0)).toBe(true);
    expect(await dq.server.queue.get("h1-0")).toBeNull();
    // An empty long poll answers with no job once its wait is over.
    const empty = await connection.send(
      connection.post("/pop", JSON.stringify({ topic: "h1", timeout: 1 })),
    );
    expect(json(empty)).toMatchObject({ code: 0, data: null });
    connection.close();
  });

  it("gives a bad request's answer as it came, and fails calls once the connection is gone", async () => {
    const connection = new RawH1Connection(dq.url);
    await connection.ready;
    const bad = await connection.send(connection.post("/push", "{not json"));
    expect(bad.status).toBe(200);
    expect(json(bad).code).not.toBe(0);
    const missing = await connection.send(connection.post("/nowhere", "{}"));
    expect(missing.status).toBe(404);
    connection.close();
    await expect(connection.send(connection.post("/pop", "{}"))).rejects.toThrow();
  });

  it("fails the call in flight when the server cuts the connection", async () => {
    const server = net.createServer((socket) => socket.once("data", () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const connection = new RawH1Connection(`http://127.0.0.1:${port}`);
    await connection.ready;
    await expect(connection.send(connection.post("/pop", "{}"))).rejects.toThrow(
      "connection closed",
    );
    server.close();
  });
});
