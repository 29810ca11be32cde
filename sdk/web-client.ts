import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { buildClient, type DelayQueueClient } from "./core.js";
import type { WebClientOptions } from "./options.js";

/**
 * Creates a typed delay-queue client for browsers (or any runtime with
 * `fetch`), over Connect (default) or gRPC-web, using `@connectrpc/connect-web`.
 * The server answers both on its one port; a page served from another origin
 * needs the server to allow it (CORS).
 *
 * @example
 * ```ts
 * import { createWebClient } from "delay-queue/sdk/web";
 * const client = createWebClient({ baseUrl: "https://queue.example.com", binary: false });
 * await client.push({ topic: "clicks", id: crypto.randomUUID(), body: "{}", ttr: 30 });
 * ```
 */
export function createWebClient(options: WebClientOptions): DelayQueueClient {
  return buildClient(options, (interceptors) => webTransport(options, interceptors));
}

function webTransport(options: WebClientOptions, interceptors: Interceptor[]): Transport {
  const protocol = options.protocol ?? "connect";
  const common = {
    baseUrl: options.baseUrl,
    useBinaryFormat: options.binary ?? true,
    interceptors,
    defaultTimeoutMs: options.timeoutMs,
    fetch: options.fetch,
  };
  if (protocol === "grpc-web") return createGrpcWebTransport(common);
  if (protocol === "connect") return createConnectTransport(common);
  throw new TypeError(`createWebClient(): unknown protocol ${JSON.stringify(protocol)}`);
}
