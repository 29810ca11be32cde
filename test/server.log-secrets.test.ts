import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "../sdk/index.js";
import { externalRedis, uniquePrefix, withRedis } from "./harness/index.js";
import { legacyCall } from "./harness/legacy.js";
import { killServerProcesses, startServerProcess } from "./harness/server-process.js";

const BODY = "body-7c1e9a-must-not-be-logged";
const TOKEN = "token-5b2f0d-must-not-be-logged";
const WRONG_TOKEN = "wrong-token-93ad41-must-not-be-logged";
const PASSWORD = "redis-pass-e8c4a2-must-not-be-logged";
const secrets = [BODY, TOKEN, WRONG_TOKEN, PASSWORD];

describe.skipIf(externalRedis)("the server's logs at info level", () => {
  const redis = withRedis();
  afterAll(killServerProcesses);

  it("never show a job body, a bearer token or the Redis password", async () => {
    // Set after the start: the harness checks readiness with a PING that a password would refuse.
    const admin = redis.server.client();
    await admin.config("SET", "requirepass", PASSWORD);
    admin.disconnect();

    const server = await startServerProcess({
      redis: redis.server.url,
      prefix: uniquePrefix("logs"),
      logLevel: "info",
      env: { DQ_REDIS_PASSWORD: PASSWORD, DQ_AUTH_TOKENS: `other-token,${TOKEN}` },
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      // The whole life of a job over the SDK, and over the legacy routes.
      const client = createClient({ baseUrl: server.url, token: TOKEN });
      await client.push({ topic: "logs", id: "sdk", body: BODY, ttr: 30 });
      const job = await client.pop({ topics: ["logs"], timeout: 1 });
      expect(job?.body).toBe(BODY);
      expect((await client.finish({ id: "sdk", token: job?.token })).finished).toBe(true);
      const legacy = { topic: "logs", id: "legacy", delay: 0, ttr: 30, body: BODY };
      expect((await legacyCall(server.url, "/push", legacy, { headers: auth })).body.code).toBe(0);
      const popped = await legacyCall(server.url, "/pop", { topic: "logs" }, { headers: auth });
      expect(popped.body.data).toMatchObject({ body: BODY });
      await legacyCall(server.url, "/finish", { id: "legacy" }, { headers: auth });

      // Failures whose answers quote what was sent, and a wrong token.
      const quoted = [
        `{"topic": "logs", "id": "x", "body": "${BODY}"`,
        JSON.stringify({ ...legacy, topic: `bad topic ${BODY}` }),
        JSON.stringify({ ...legacy, ttr: BODY }),
      ];
      for (const body of quoted) {
        expect((await legacyCall(server.url, "/push", body, { headers: auth })).body.code).toBe(1);
      }
      const refused = await legacyCall(server.url, "/push", legacy, {
        headers: { authorization: `Bearer ${WRONG_TOKEN}` },
      });
      expect(refused.body.code).toBe(1);
      await expect(
        createClient({ baseUrl: server.url, token: WRONG_TOKEN }).push({ ...legacy, ttr: 30 }),
      ).rejects.toThrow();
      await expect(client.push({ topic: `bad ${BODY}`, id: "x", ttr: 30 })).rejects.toThrow();
    } finally {
      await server.stop();
    }

    const output = server.output();
    expect(output).toContain('"msg":"configuration loaded"');
    expect(output).toContain('"passwordSet":true');
    expect(output).toContain('"msg":"stopped"');
    for (const secret of secrets) expect(output, `${secret} in the logs`).not.toContain(secret);
  });
});
