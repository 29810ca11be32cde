import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/**
 * fastify's per-request log lines at `debug` instead of `info`: a queue
 * serves many small calls and long polls, and one info line per call would
 * bury everything else. Failures keep their `error` level. Requests share the
 * server's logger (no child per request), so each line names its `reqId`.
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ reqId: request.id, req: request }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error(
        { reqId: request.id, res: reply, err: error, responseTime: reply.elapsedTime },
        "request errored",
      );
    } else {
      reply.log.debug(
        { reqId: request.id, res: reply, responseTime: reply.elapsedTime },
        "request completed",
      );
    }
  }
}
