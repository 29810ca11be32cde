import type { Interceptor, Transport } from "@connectrpc/connect";
import type { BaseClientOptions } from "./options.js";
import type { HeadersInit } from "./types.js";

/** The headers every call carries, computed afresh for each call. */
export type DefaultHeaders = () => Headers;

/**
 * Turns a client's `headers` and `token` into a function giving the headers
 * for one call, or `undefined` when neither is set.
 */
export function defaultHeaders(
  options: Pick<BaseClientOptions, "headers" | "token">,
): DefaultHeaders | undefined {
  const { headers, token } = options;
  if (headers === undefined && token === undefined) return undefined;
  return () => {
    const result = new Headers(typeof headers === "function" ? headers() : headers);
    if (token !== undefined && !result.has("authorization")) {
      result.set("authorization", `Bearer ${token}`);
    }
    return result;
  };
}

/** Sets each default header the request does not carry already (per-call headers win). */
function addMissing(target: Headers, defaults: DefaultHeaders): void {
  for (const [name, value] of defaults()) {
    if (!target.has(name)) target.set(name, value);
  }
}

/** An interceptor that adds the default headers to every request. */
export function headersInterceptor(defaults: DefaultHeaders): Interceptor {
  return (next) => async (req) => {
    addMissing(req.header, defaults);
    return next(req);
  };
}

/**
 * Wraps a transport someone else built, so that every call through it
 * carries the default headers, as the interceptor does for ours.
 */
export function withDefaultHeaders(transport: Transport, defaults: DefaultHeaders): Transport {
  const merged = (header: HeadersInit | undefined): Headers => {
    const result = new Headers(header);
    addMissing(result, defaults);
    return result;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, timeoutMs, merged(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, timeoutMs, merged(header), input, contextValues),
  };
}
