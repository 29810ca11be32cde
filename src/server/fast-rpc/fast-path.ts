import type { Logger } from "pino";
import type { DelayQueueRpc } from "../../service/index.js";
import type { TokenCheck } from "../auth.js";
import type { FastPath } from "../listener.js";
import { CallContext } from "./call-context.js";
import { connectProtoType, serveConnectH1, serveConnectH2 } from "./connect.js";
import { grpcProtoType, serveGrpc } from "./grpc.js";
import { header } from "./header.js";
import { fastMethods } from "./methods.js";

/** Options of {@link createFastPath}. */
export interface FastPathOptions {
  /** The service the connect-es routes call too. */
  rpc: DelayQueueRpc;
  /** The bearer-token check of the auth interceptor. */
  authorized: TokenCheck;
  /** Largest request message, bytes (connect-es's `readMaxBytes`). */
  limitBytes: number;
  logger: Logger;
}

// A stream reset by the client may emit `error`; the call just ends, as on the compat path.
const ignore = () => {};

/**
 * The common case of the unary DelayQueueService methods, served without
 * fastify or connect-es: gRPC (`application/grpc`, `application/grpc+proto`)
 * on HTTP/2 streams and Connect unary with binary protobuf (`application/proto`)
 * on HTTP/1.1 and HTTP/2, uncompressed, `POST` to the method's exact path.
 * The same token check, limits, error codes and messages as connect-es; JSON,
 * gRPC-web, compressed requests, GET, other services and paths fall through.
 */
export function createFastPath(options: FastPathOptions): Required<FastPath> {
  const methods = fastMethods(options.rpc);
  const context = new CallContext(options.limitBytes, options.authorized, options.logger);
  let stopped = false;
  return {
    stream(stream, headers) {
      if (stopped || headers[":method"] !== "POST") return false;
      const method = methods.get(headers[":path"] ?? "");
      if (!method) return false;
      const type = header(headers["content-type"]) ?? "";
      if (grpcProtoType.test(type)) {
        if (!identity(header(headers["grpc-encoding"]))) return false;
        stream.on("error", ignore);
        serveGrpc(stream, headers, method, context);
        return true;
      }
      if (connectProtoType.test(type) && identity(header(headers["content-encoding"]))) {
        stream.on("error", ignore);
        serveConnectH2(stream, headers, method, context);
        return true;
      }
      return false;
    },
    request(req, res) {
      if (stopped || req.method !== "POST") return false;
      const method = methods.get(req.url ?? "");
      if (!method) return false;
      if (!connectProtoType.test(req.headers["content-type"] ?? "")) return false;
      if (!identity(req.headers["content-encoding"])) return false;
      serveConnectH1(req, res, method, context);
      return true;
    },
    stop() {
      stopped = true;
    },
  };
}

function identity(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === "identity";
}
