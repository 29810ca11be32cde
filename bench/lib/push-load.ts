import type { Protocol } from "./config.js";
import type { BenchContext } from "./context.js";
import { type LoadResult, runH1 } from "./load-h1.js";
import { runH2 } from "./load-h2.js";
import { runH2load } from "./load-h2load.js";
import { type IdSequence, legacyPush, makeBody, PushTemplate, SERVICE_PATH } from "./messages.js";

export interface PushLoadOptions {
  ids: IdSequence;
  topic: string;
  /** Whole seconds (the legacy API takes nothing finer). */
  delayS: number;
  /** Every call pushes the same id (a replacing push): h2load's fixed body, or a calibration. */
  sameId?: boolean;
}

/** HTTP/2 connections and streams per connection for `connections` calls in flight. */
export function h2Split(connections: number): { clients: number; streams: number } {
  const clients = Math.min(connections, 4);
  return { clients, streams: Math.ceil(connections / clients) };
}

/** How the gRPC push is driven in this run, for labels. */
export function grpcGenerator(ctx: BenchContext): string {
  return ctx.hasH2load ? "h2load, same id every call" : "node:http2, unique ids";
}

/**
 * Closed-loop pushes at `connections` against the server or the bare ceiling,
 * with the same generator and the same connections either way.
 */
export async function pushLoad(
  ctx: BenchContext,
  protocol: Protocol,
  where: "server" | "ceiling",
  connections: number,
  durationMs: number,
  options: PushLoadOptions,
): Promise<LoadResult> {
  const body = makeBody(ctx.config.bodyBytes);
  const { ids, topic, delayS } = options;
  const nextId = options.sameId ? () => ids.id(0) : () => ids.id();
  if (protocol === "legacy") {
    return runH1({
      url: where === "server" ? ctx.server.url : ctx.ceiling.h1Url,
      connections,
      durationMs,
      requests: [
        {
          path: "/push",
          body: () => legacyPush(topic, nextId(), delayS, body),
          check: (_status, text) => text.startsWith('{"code":0'),
        },
      ],
    });
  }
  const template = new PushTemplate(topic, ids, delayS, body);
  if (protocol === "connect") {
    return runH1({
      url: where === "server" ? ctx.server.url : ctx.ceiling.h1Url,
      connections,
      durationMs,
      requests: [
        {
          path: `${SERVICE_PATH}/Push`,
          headers: { "content-type": "application/proto" },
          body: () => template.build(nextId()),
        },
      ],
    });
  }
  const origin = where === "server" ? ctx.server.url : ctx.ceiling.h2Url;
  const { clients, streams } = h2Split(connections);
  if (ctx.hasH2load) {
    return runH2load({
      url: `${origin}${SERVICE_PATH}/Push`,
      message: template.build(ids.id()),
      clients,
      streams,
      durationMs,
    });
  }
  return runH2({
    url: origin,
    protocol: "grpc",
    sessions: clients,
    concurrency: connections,
    durationMs,
    calls: [{ path: `${SERVICE_PATH}/Push`, body: () => template.build(nextId()) }],
  });
}
