import { Code, ConnectError } from "@connectrpc/connect";
import { QueueError, type QueueErrorKind } from "../queue/index.js";

const codes: Record<QueueErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  already_exists: Code.AlreadyExists,
  resource_exhausted: Code.ResourceExhausted,
  closed: Code.Unavailable,
  internal: Code.Internal,
};

// ioredis and node socket errors that mean "Redis is not reachable right now".
const unreachable =
  /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|max retries per request|Stream isn't writeable|enableOfflineQueue|LOADING|READONLY|MASTERDOWN|TRYAGAIN/i;

/**
 * Lone surrogates (a JSON `"\ud800"` quoted back in a message) as U+FFFD: a gRPC
 * `grpc-message` must be percent-encoded UTF-8, which they have no form in.
 */
function wellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, "\uFFFD");
}

/**
 * Turns anything the queue throws into a ConnectError with the right code:
 * domain errors by kind, Redis being away as `unavailable`, the rest as
 * `internal` (with the cause kept for the logs, not the client).
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof QueueError) {
    return new ConnectError(wellFormed(error.message), codes[error.kind]);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (unreachable.test(message)) {
    return new ConnectError(
      "the queue's Redis is unavailable",
      Code.Unavailable,
      undefined,
      undefined,
      error,
    );
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}
