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
        const onResponse = (received: IncomingHttpHeaders) => {
          status = Number(received[":status"]);
          head = received;
        };
        const onData = (chunk: Buffer) => {
          chunks.push(chunk);
          manager.notifyResponseByteRead(stream);
        };
        const onTrailers = (received: IncomingHttpHeaders) => {
          trailers = received;
        };
        const onEnd = () => {
          settle();
          resolve({ status, headers: head, body: joinChunks(chunks), trailers });
        };
        const onError = (error: Error) => fail(errorFromNode(error));
        const onClose = () => {
          const code = stream.rstCode;
          fail(
            code !== undefined && code !== constants.NGHTTP2_NO_ERROR
              ? errorFromReset(code)
              : new ConnectError("http/2 stream closed before its reply ended", Code.Internal),
          );
        };
        const fail = (error: ConnectError) => {
          if (settled) return;
          settle();
          reject(error);
        };
        const listeners: [string, Parameters<typeof stream.off>[1]][] = [
          ["response", onResponse],
          ["data", onData],
          ["trailers", onTrailers],
          ["end", onEnd],
          ["error", onError],
          ["close", onClose],
        ];
        // node:http2 keeps a closed stream, and what its listeners hold, until a GC after the
        // next, by which time most have been promoted: once the call has its answer, the stream
        // holds none of this call's state.
        const settle = () => {
          settled = true;
          for (const [event, listener] of listeners) stream.off(event, listener);
          stream.on("error", ignore);
        };
        for (const [event, listener] of listeners) stream.on(event, listener);
        stop.onStop((reason) => {
          fail(reason);
          stream.close(constants.NGHTTP2_CANCEL);
        });
        stream.end(body);
      });
    },
  };
}

/** A settled call's stream may still report an error (a reset after the end): nobody is waiting. */
function ignore(): void {}
