import type { OutgoingHttpHeaders } from "node:http";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  isMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createMethodUrl } from "@connectrpc/connect/protocol";
import { Http2SessionManager } from "@connectrpc/connect-node";
import type { HeadersInit } from "../types.js";
import { CallStop } from "./call-stop.js";
import { connectUnary } from "./connect-unary.js";
import type { Exchange, Reply } from "./exchange.js";
import { grpcUnary } from "./grpc-unary.js";
import { h1Exchange } from "./h1-exchange.js";
import { h2Exchange } from "./h2-exchange.js";
import type { UnaryProtocol } from "./unary-protocol.js";

/** Options of {@link createNodeTransport}. */
export interface NodeTransportOptions {
  baseUrl: string;
  /** gRPC needs HTTP/2; Connect takes either. The format is binary. */
  protocol: "grpc" | "connect";
  httpVersion: "1.1" | "2";
  interceptors: Interceptor[];
  /** Deadline of a call that gives none, ms; none when unset. */
  defaultTimeoutMs: number | undefined;
  /**
   * Where streaming calls go (the API has none today): a connect-node
   * transport of the same protocol, given the session manager to share.
   */
  fallback: (sessionManager: Http2SessionManager | undefined) => Transport;
}

/** The signal of a call that was given none and runs through interceptors. */
const neverAborted = new AbortController().signal;

/** What the client sends when the caller set no user-agent of its own. */
const userAgent = "delay-queue-sdk";

/**
 * A Connect `Transport` whose unary calls go straight to `node:http` or
 * `node:http2`: one request, the reply read whole. connect-node's transports
 * spend several times the CPU per call on their general streaming machinery
 * (async iterables, two AbortControllers and an error object per call), which
 * a client making thousands of small calls a second feels. Success is checked
 * by hand; anything else goes through connect-es's own response checks, so
 * codes, messages and metadata of failures are the same as there.
 */
export function createNodeTransport(options: NodeTransportOptions): Transport {
  const { baseUrl, interceptors } = options;
  const protocol: UnaryProtocol = options.protocol === "grpc" ? grpcUnary : connectUnary;
  const manager = options.httpVersion === "2" ? new Http2SessionManager(baseUrl) : undefined;
  const exchange: Exchange = manager ? h2Exchange(manager) : h1Exchange(new URL(baseUrl));
  const fallback = options.fallback(manager);
  const paths = new WeakMap<object, string>();
  const pathOf = (method: DescMethodUnary): string => {
    let path = paths.get(method);
    if (path === undefined) {
      path = new URL(createMethodUrl(baseUrl, method)).pathname;
      paths.set(method, path);
    }
    return path;
  };

  const send = async <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    message: MessageShape<I>,
    header: HeadersInit | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ): Promise<UnaryResponse<I, O>> => {
    if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
    const headers = requestHeaders(header, protocol.headers(timeoutMs));
    const body = protocol.body(method.input, message);
    const stop = new CallStop();
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => stop.stop(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
            timeoutMs,
          );
    const onAbort = signal && (() => stop.stop(ConnectError.from(signal.reason, Code.Canceled)));
    if (onAbort) signal?.addEventListener("abort", onAbort);
    try {
      const reply = await exchange.send(pathOf(method), headers, body, stop);
      return response(method, protocol.read(method.output, reply), protocol, reply);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  };

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      // As connect-es: no deadline given means the default; zero or less means none.
      const deadline =
        timeoutMs === undefined ? options.defaultTimeoutMs : timeoutMs <= 0 ? undefined : timeoutMs;
      const message = (
        isMessage(input, method.input) ? input : create(method.input, input)
      ) as MessageShape<I>;
      if (interceptors.length === 0) return send(method, message, header, signal, deadline);
      const request: UnaryRequest<I, O> = {
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: createMethodUrl(baseUrl, method),
        signal: signal ?? neverAborted,
        header: new Headers(header),
        contextValues: contextValues ?? createContextValues(),
        message,
      };
      const next = withInterceptors(interceptors, (req) =>
        send(
          req.method,
          req.message,
          req.header,
          req.signal === neverAborted ? undefined : req.signal,
          deadline,
        ),
      );
      return (await next(request)) as UnaryResponse<I, O>;
    },
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      fallback.stream(method, signal, timeoutMs, header, input, contextValues),
  };
}

type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;

/** Wraps `call` in the interceptors, the first one given outermost, as connect-es does. */
function withInterceptors(interceptors: Interceptor[], call: UnaryFn): UnaryFn {
  let next = call;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    next = (interceptors[i] as Interceptor)(next as Parameters<Interceptor>[0]) as UnaryFn;
  }
  return next;
}

/** The caller's headers with the protocol's on top, as one object for Node. */
function requestHeaders(
  given: HeadersInit | undefined,
  own: OutgoingHttpHeaders,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  if (given !== undefined) {
    for (const [name, value] of new Headers(given)) headers[name] = value;
  }
  if (headers["user-agent"] === undefined) headers["user-agent"] = userAgent;
  return Object.assign(headers, own);
}

/** The call's answer; its headers and trailers are built the first time someone reads them. */
function response<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  message: MessageShape<O>,
  protocol: UnaryProtocol,
  reply: Reply,
): UnaryResponse<I, O> {
  let metadata: [Headers, Headers] | undefined;
  return {
    stream: false,
    service: method.parent,
    method,
    message,
    get header() {
      metadata ??= protocol.metadata(reply);
      return metadata[0];
    },
    get trailer() {
      metadata ??= protocol.metadata(reply);
      return metadata[1];
    },
  };
}
