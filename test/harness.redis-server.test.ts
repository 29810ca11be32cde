import { once } from "node:events";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  externalRedis,
  type RedisServer,
  type RedisServerOptions,
  startRedis,
  withRedis,
} from "./harness/index.js";

describe.skipIf(externalRedis)("startRedis", () => {
  const started: RedisServer[] = [];
  async function start(options?: RedisServerOptions): Promise<RedisServer> {
    const server = await startRedis(options);
    started.push(server);
    return server;
  }
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(started.splice(0).map((server) => server.close()));
  });

  it("starts a server on loopback that answers SET and GET", async () => {
    const server = await start();
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(server.pid).toBeGreaterThan(0);
    const client = server.client();
    await client.set("greeting", "hello");
    expect(await client.get("greeting")).toBe("hello");
  });

  it("fails client commands after kill() and serves again on the same port after restart()", async () => {
    const server = await start();
    const port = server.port;
    // No offline queue and quick retries: commands fail fast while down, and the client comes back.
    const client = server.client({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    await ready(client);
    await client.set("k", "v");
    const closed = once(client, "close");
    await server.kill();
    expect(server.running).toBe(false);
    expect(server.pid).toBeUndefined();
    await closed;
    await expect(client.get("k")).rejects.toThrow();

    await server.restart();
    expect(server.running).toBe(true);
    expect(server.port).toBe(port);
    await ready(client);
    expect(await client.ping()).toBe("PONG");
    expect(await server.client().ping()).toBe("PONG");
  });

  it("keeps appendonly data written before a SIGKILL across restart()", async () => {
    const server = await start({ appendonly: true });
    await server.client().set("durable", "yes");
    await server.kill();
    await server.restart();
    expect(await server.client().get("durable")).toBe("yes");
  });

  it("keeps appendonly data across stop() and restart()", async () => {
    const server = await start({ appendonly: true, appendfsync: "everysec" });
    await server.client().set("durable", "yes");
    await server.stop();
    await server.restart();
    expect(await server.client().get("durable")).toBe("yes");
  });

  it("loses data across kill() and restart() without appendonly", async () => {
    const server = await start();
    await server.client().set("volatile", "yes");
    await server.kill();
    await server.restart();
    expect(await server.client().get("volatile")).toBeNull();
  });

  it("removes its temp dir on close() and can be closed twice", async () => {
    const server = await start();
    const client = server.client();
    await access(server.dir);
    await server.close();
    expect(server.running).toBe(false);
    expect(client.status).toBe("end");
    await expect(access(server.dir)).rejects.toThrow();
    await server.close();
  });

  it("keeps a dir it did not create", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dq-harness-test-"));
    try {
      const server = await start({ dir });
      expect(server.dir).toBe(dir);
      await server.close();
      await access(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives two servers different ports", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
    await a.client().set("where", "a");
    expect(await b.client().get("where")).toBeNull();
  });

  it("says how to install redis-server when it is not on PATH", async () => {
    vi.stubEnv("PATH", "/nonexistent");
    await expect(startRedis()).rejects.toThrow(
      /redis-server not found on PATH: install it \(Debian\/Ubuntu: apt-get install -y redis-server/,
    );
  });
});

describe("withRedis", () => {
  const redis = withRedis();
  let early: unknown;
  try {
    void redis.server;
  } catch (error) {
    early = error;
  }

  it("throws when .server is read before beforeAll has run", () => {
    expect(early).toBeInstanceOf(Error);
  });

  it("provides a server that answers PING inside tests", async () => {
    expect(await redis.server.client().ping()).toBe("PONG");
  });
});

async function ready(client: Redis): Promise<void> {
  if (client.status !== "ready") await once(client, "ready");
}
