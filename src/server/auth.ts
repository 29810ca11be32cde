import { createHash, timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";

/** Decides whether an `Authorization` header value carries an accepted bearer token. */
export type TokenCheck = (authorization: string | null | undefined) => boolean;

/** The message every way in gives a caller without a good token. */
export const unauthenticatedMessage = "missing or invalid bearer token";

/**
 * Builds the check for `tokens`; with none configured every caller passes.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, so neither
 * their length nor their content leaks through response times.
 */
export function tokenCheck(tokens: readonly string[] | undefined): TokenCheck {
  const digests = (tokens ?? []).filter((t) => t !== "").map(digest);
  if (digests.length === 0) return () => true;
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
    if (!match?.[1]) return false;
    const given = digest(match[1]);
    // Compare against every token, without stopping early.
    return digests.reduce((ok, d) => timingSafeEqual(d, given) || ok, false);
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Refuses RPCs without an accepted token with `unauthenticated`; health
 * checks stay open, since load balancers probe without credentials.
 */
export function authInterceptor(check: TokenCheck): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName !== Health.typeName && !check(req.header.get("authorization"))) {
      throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
    }
    return next(req);
  };
}
