import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DelayQueueService } from "../gen/delayqueue/v1/delay_queue_pb.js";
import type { RunningServer } from "../src/server/index.js";
import { grpcJsClient } from "./harness/grpc-client.js";
import { withRedis } from "./harness/index.js";
import { startTestServer } from "./harness/server.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for localhost and 127.0.0.1. */
function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "dq-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      ],
      { stdio: "ignore" },
    );
    return { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** POST over https with our CA, since fetch cannot be given one. */
function httpsPost(url: string, ca: Buffer, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe.skipIf(!hasOpenssl())("TLS on the one port", () => {
  const redis = withRedis();
  let server: RunningServer;
  let ca: Buffer;

  beforeAll(async () => {
    const tls = selfSigned();
    ca = tls.cert;
    server = await startTestServer(redis, { tls });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves an https URL", () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(["1.1", "2"] as const)("serves Connect over HTTP/%s with TLS", async (httpVersion) => {
    const transport = createConnectTransport({
      baseUrl: server.url,
      httpVersion,
      nodeOptions: { ca },
    });
    const client = createClient(DelayQueueService, transport);
    const id = `tls-${httpVersion}`;
    await client.push({ topic: id, id, delay: 0, ttr: 30, body: "secret" });
    expect((await client.pop({ topics: [id], timeout: 1 })).job?.body).toBe("secret");
  });

  it("serves gRPC to grpc-js with TLS (h2 by ALPN)", async () => {
    // The certificate names localhost; grpc-js would otherwise send the IP as the TLS server name.
    const grpc = grpcJsClient(server.url, credentials.createSsl(ca), {
      "grpc.ssl_target_name_override": "localhost",
    });
    try {
      await grpc.push({ topic: "tls-grpc", id: "tls-grpc", delay: 0, ttr: 30, body: "g" });
      expect((await grpc.pop({ topics: ["tls-grpc"], timeout: 1 })).job?.id).toBe("tls-grpc");
    } finally {
      grpc.close();
    }
  });

  it("serves the legacy routes over https", async () => {
    const job = { topic: "tls-legacy", id: "tls-legacy", delay: 0, ttr: 30, body: "l" };
    expect(await httpsPost(`${server.url}/push`, ca, job)).toEqual({
      code: 0,
      message: "ok",
      data: null,
    });
    expect(await httpsPost(`${server.url}/pop`, ca, { topic: "tls-legacy", timeout: 1 })).toEqual({
      code: 0,
      message: "ok",
      data: { id: "tls-legacy", body: "l", topic: "tls-legacy" },
    });
  });
});
