import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { buildClient, type DelayQueueClient } from "./core.js";
import { createNodeTransport } from "./node-transport/index.js";
import type { ClientOptions } from "./options.js";

/**
 * Creates a typed delay-queue client for Node, over Connect (default), gRPC
 * (HTTP/2) or gRPC-web, using `@connectrpc/connect-node`.
 *
 * @example
 * ```ts
 * const client = createClient({ baseUrl: "http://127.0.0.1:9277", token: process.env.DQ_TOKEN });
 * await client.push({ topic: "mail", id: "m-1", body: "{}", delay: 60, ttr: 30 });
 * const job = await client.pop({ topics: ["mail"], timeout: 30 });
 * if (job) await client.finish(job);
 * ```
 */
export function createClient(options: ClientOptions): DelayQueueClient {
  return buildClient(options, (interceptors) => nodeTransport(options, interceptors));
}

function nodeTransport(options: ClientOptions, interceptors: Interceptor[]): Transport {
  const protocol = options.protocol ?? "connect";
  const binary = options.binary ?? true;
  const common = {
    baseUrl: options.baseUrl,
    useBinaryFormat: binary,
    interceptors,
    defaultTimeoutMs: options.timeoutMs,
  };
  if (protocol === "grpc") {
    if (options.httpVersion === "1.1") {
      throw new TypeError('createClient(): protocol "grpc" needs httpVersion "2"');
    }
    return createNodeTransport({
      ...common,
      protocol,
      httpVersion: "2",
      fallback: (sessionManager) => createGrpcTransport({ ...common, sessionManager }),
    });
  }
  const httpVersion = options.httpVersion ?? "1.1";
  if (protocol === "grpc-web") return createGrpcWebTransport({ ...common, httpVersion });
  if (protocol !== "connect") {
    throw new TypeError(`createClient(): unknown protocol ${JSON.stringify(protocol)}`);
  }
  // JSON is for reading calls on the wire, not for speed: connect-node's transport serves it.
  if (!binary) return createConnectTransport({ ...common, httpVersion });
  return createNodeTransport({
    ...common,
    protocol,
    httpVersion,
    fallback: (sessionManager) =>
      sessionManager
        ? createConnectTransport({ ...common, httpVersion: "2", sessionManager })
        : createConnectTransport({ ...common, httpVersion: "1.1" }),
  });
}
