import type { Http2ServerResponse } from "node:http2";
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
} from "fastify";

/**
 * Errors outside the RPCs and the legacy routes (unknown paths, wrong
 * methods, unreadable requests) as JSON in Connect's error shape,
 * `{"code": "not_found", "message": "..."}`, so Connect clients read them
 * and curl users get a sentence.
 */
export interface ErrorBody {
  code: string;
  message: string;
}

const codeOfStatus: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthenticated",
  403: "permission_denied",
  404: "not_found",
  405: "unimplemented",
  408: "deadline_exceeded",
  413: "resource_exhausted",
  415: "invalid_argument",
  429: "resource_exhausted",
  503: "unavailable",
};

const methods: HTTPMethods[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

// Paths shaped like an RPC (`/package.Service/Method`): a miss means an unknown method.
const rpcPath = /^\/[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;

/** Installs the app-wide not-found and error handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
  // Connect answers a wrong method on an RPC path with a bare 405; give it a body.
  // (None of our methods is marked idempotent, so Connect GET requests do not apply.)
  app.addHook("onRequest", async (request, reply) => {
    if (request.method === "POST" || !rpcPath.test(request.url.split("?", 1)[0] ?? "")) return;
    return reply
      .code(405)
      .header("allow", "POST")
      .send(body(405, `${request.url.split("?", 1)[0]} is an RPC: use POST`));
  });
  app.setNotFoundHandler((request, reply) => notFound(app, request, reply));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ reqId: request.id, err: error }, "request failed");
    const message =
      status >= 500
        ? "internal error"
        : status === 413
          ? "request body is too large"
          : error.message;
    reply.code(status).send(body(status, message));
  });
}

function body(status: number, message: string): ErrorBody {
  return { code: codeOfStatus[status] ?? (status >= 500 ? "internal" : "unknown"), message };
}

function notFound(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split("?", 1)[0] ?? "/";
  const allowed = methods.filter((method) => app.hasRoute({ method, url: path }));
  if (allowed.length > 0) {
    reply
      .code(405)
      .header("allow", allowed.join(", "))
      .send(body(405, `${path} does not take ${request.method}; use ${allowed.join(" or ")}`));
    return;
  }
  const contentType = request.headers["content-type"] ?? "";
  const raw = reply.raw as unknown as Partial<Http2ServerResponse>;
  if (/^application\/grpc(?!-web)/.test(contentType) && raw.stream) {
    // gRPC clients look for grpc-status, not the HTTP status: answer "trailers-only",
    // one HEADERS frame that ends the stream.
    reply.hijack();
    raw.stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "12",
        "grpc-message": encodeURIComponent(`unknown method ${path}`),
      },
      { endStream: true },
    );
    return;
  }
  if (rpcPath.test(path)) {
    reply.code(404).send({ code: "unimplemented", message: `unknown method ${path}` });
    return;
  }
  reply.code(404).send(body(404, `no route for ${request.method} ${path}`));
}
