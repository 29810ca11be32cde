import http from "node:http";
import https from "node:https";
import type { CallStop } from "./call-stop.js";
import { type Exchange, joinChunks, type Reply } from "./exchange.js";
import { errorFromNode } from "./node-errors.js";

/**
 * Requests over HTTP/1.1 with `node:http` (or `node:https`) and its global
 * agent, which keeps connections alive between calls.
 */
export function h1Exchange(baseUrl: URL): Exchange {
  const request = baseUrl.protocol === "https:" ? https.request : http.request;
  const { hostname, port } = baseUrl;
  // A bracketed IPv6 literal is passed to Node bare.
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  return {
    send(path, headers, body, stop: CallStop) {
      return new Promise<Reply>((resolve, reject) => {
        let settled = false;
        const fail = (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(errorFromNode(error));
        };
        const req = request(
          {
            host,
            port,
            method: "POST",
            path,
            headers: { ...headers, "content-length": body.byteLength },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", fail);
            res.on("end", () => {
              if (settled) return;
              settled = true;
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: joinChunks(chunks),
                trailers: undefined,
              });
            });
          },
        );
        req.on("error", fail);
        stop.onStop((reason) => {
          fail(reason);
          req.destroy();
        });
        req.end(body);
      });
    },
  };
}
