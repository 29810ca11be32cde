import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { type ClientOptions, Code, ConnectError, createClient } from "../sdk/index.js";
import { createWebClient } from "../sdk/web.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
// A server that refuses calls without `authorization: Bearer s3cret`: what the server sees of
// our headers shows in whether it lets the call through.
const dq = withServer(redis, { authTokens: ["s3cret"] });

/** The code a `get` of an unknown id ends with: `not_found` means the server let it through. */
async function verdict(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "let through";
  } catch (error) {
    return error instanceof ConnectError ? Code[error.code] : String(error);
  }
}

const get = (options: Omit<ClientOptions, "baseUrl">, callHeaders?: Record<string, string>) =>
  verdict(
    createClient({ baseUrl: dq.url, ...options }).raw.get(
      { id: "nobody" },
      { headers: callHeaders },
    ),
  );

describe.each(["connect", "grpc", "grpc-web"] as const)("headers over %s", (protocol) => {
  it("a client without a token is refused with unauthenticated", async () => {
    expect(await get({ protocol })).toBe("Unauthenticated");
  });

  it("the token option sends a bearer authorization header on every call", async () => {
    const client = createClient({ baseUrl: dq.url, protocol, token: "s3cret" });
    expect(await client.get({ id: "nobody" })).toBeUndefined();
    await client.push({ topic: "auth", id: `auth-${protocol}`, ttr: 30 });
    expect(await client.delete({ id: `auth-${protocol}` })).toEqual({ deleted: true });
  });

  it("a headers function is asked again for every call", async () => {
    let calls = 0;
    const headers = () => {
      calls++;
      return { authorization: "Bearer s3cret", "x-call": String(calls) };
    };
    const client = createClient({ baseUrl: dq.url, protocol, headers });
    await client.get({ id: "nobody" });
    await client.get({ id: "nobody" });
    expect(calls).toBe(2);
  });

  it("headers given to a call win over the client's headers and token", async () => {
    expect(await get({ protocol, token: "s3cret" }, { authorization: "Bearer wrong" })).toBe(
      "Unauthenticated",
    );
    expect(await get({ protocol, token: "wrong" }, { authorization: "Bearer s3cret" })).toBe(
      "NotFound",
    );
    expect(
      await get({ protocol, token: "wrong", headers: { authorization: "Bearer s3cret" } }),
    ).toBe("NotFound");
  });
});

describe("headers with a transport brought along", () => {
  it("the token still reaches the server through a Connect transport", async () => {
    const transport = createConnectTransport({ baseUrl: dq.url, httpVersion: "1.1" });
    expect(await get({ transport })).toBe("Unauthenticated");
    expect(await get({ transport, token: "s3cret" })).toBe("NotFound");
  });

  it("the token still reaches the server through a gRPC transport", async () => {
    const transport = createGrpcTransport({ baseUrl: dq.url });
    expect(await get({ transport, token: "s3cret" })).toBe("NotFound");
  });

  it("the web client sends the token too", async () => {
    for (const protocol of ["connect", "grpc-web"] as const) {
      const client = createWebClient({ baseUrl: dq.url, protocol, token: "s3cret" });
      expect(await client.get({ id: "nobody" })).toBeUndefined();
      const anonymous = createWebClient({ baseUrl: dq.url, protocol });
      expect(await verdict(anonymous.get({ id: "nobody" }))).toBe("Unauthenticated");
    }
  });
});
