import type { IncomingHttpHeaders } from "node:http";
import { constants } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import type { CallStop } from "./call-stop.js";
import { type Exchange, joinChunks } from "./exchange.js";
import { errorFromNode, errorFromReset } from "./node-errors.js";

/**
 * Requests as streams of one HTTP/2 connection, which connect-node's
 * `Http2SessionManager` opens, keeps alive and reopens after a GOAWAY.
 */
export function h2Exchange(manager: Http2SessionManager): Exchange {
  return {
    async send(path, headers, body, stop: CallStop) {
      if (stop.reason) throw stop.reason;
      let stream: Awaited<ReturnType<Http2SessionManager["request"]>>;
      try {
        stream = await manager.request("POST", path, headers, {});
      } catch (error) {
        throw errorFromNode(error);
      }
      return new Promise((resolve, reject) => {
        let settled = false;
        let status = 0;
        let head: IncomingHttpHeaders = {};
        let trailers: IncomingHttpHeaders | undefined;
        const chunks: Buffer[] = [];
        const fail = (error: ConnectError) => {
          if (settled) return;
          settled = true;
          reject(error);
        };
        stream.on("response", (received) => {
          status = Number(received[":status"]);
          head = received;
        });
        stream.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          manager.notifyResponseByteRead(stream);
        });
        stream.on("trailers", (received) => {
          trailers = received;
        });
        stream.on("end", () => {
          if (settled) return;
          settled = true;
          resolve({ status, headers: head, body: joinChunks(chunks), trailers });
        });
        stream.on("error", (error) => fail(errorFromNode(error)));
        stream.on("close", () => {
          if (settled) return;
          const code = stream.rstCode;
          fail(
            code !== undefined && code !== constants.NGHTTP2_NO_ERROR
              ? errorFromReset(code)
              : new ConnectError("http/2 stream closed before its reply ended", Code.Internal),
          );
        });
        stop.onStop((reason) => {
          fail(reason);
          stream.close(constants.NGHTTP2_CANCEL);
        });
        stream.end(body);
      });
    },
  };
}
