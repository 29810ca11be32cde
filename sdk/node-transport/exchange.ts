import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { CallStop } from "./call-stop.js";

/** A whole reply to one request: what the unary protocols read. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** HTTP/2 trailers; HTTP/1.1 replies have none. */
  trailers: IncomingHttpHeaders | undefined;
}

/** One HTTP request with a body known up front, its reply read whole. */
export interface Exchange {
  /**
   * Sends `body` to `path` (the method's path, base path included) and reads
   * the reply. Rejects with a `ConnectError`; with `stop`'s reason once it stops.
   */
  send(
    path: string,
    headers: OutgoingHttpHeaders,
    body: Uint8Array,
    stop: CallStop,
  ): Promise<Reply>;
}

/** Node's header object as a fetch `Headers`, without the HTTP/2 pseudo-headers. */
export function toHeaders(nodeHeaders: IncomingHttpHeaders | undefined): Headers {
  const headers = new Headers();
  if (!nodeHeaders) return headers;
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else headers.append(name, String(value));
  }
  return headers;
}

/** The body's bytes as one buffer, without a copy when a single chunk came. */
export function joinChunks(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
