import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { TurnWrites } from "../src/queue/turn-writes.js";
import { withRedis } from "./harness/index.js";

const redis = withRedis();
const clients: Redis[] = [];
afterAll(() => Promise.all(clients.map((c) => c.quit())));

const open = (options: { lazyConnect?: boolean } = {}) => {
  const client = new Redis(redis.server.url, options);
  clients.push(client);
  return client;
};

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("TurnWrites", () => {
  it("holds the commands of one task and lets them go together when it ends", async () => {
    const client = open();
    await client.ping();
    const writes = new TurnWrites(client);
    const replies = Array.from({ length: 20 }, (_, i) => {
      writes.hold();
      return client.set(`tw:${i}`, String(i)).then(() => client.get(`tw:${i}`));
    });
    expect(client.stream.writableCorked).toBe(1);
    // All twenty wait in the socket's buffer, none has gone to the kernel yet.
    expect(client.stream.writableLength).toBeGreaterThan(20 * "*3\r\n$3\r\nSET\r\n".length);
    await nextTurn();
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it("leaves a client that is not connected alone: its calls wait in the offline queue", async () => {
    const client = open({ lazyConnect: true });
    const writes = new TurnWrites(client);
    writes.hold();
    const connected = client.connect();
    writes.hold();
    const reply = client.set("tw:late", "1");
    await connected;
    expect(await reply).toBe("OK");
    writes.hold();
    expect(await client.get("tw:late")).toBe("1");
    await nextTurn();
    expect(client.stream.writableCorked).toBe(0);
  });
});
