import { Code, type ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { TokenCheck } from "../auth.js";

/** Called once a call has its answer: `error` is what it answered with, if it failed. */
export type CallDone = (error: ConnectError | undefined) => void;

const noLog: CallDone = () => {};

/**
 * What every fast-path call shares: the request limit, the token check and
 * the request log. The log follows `request-log.ts`: one `debug` line as a call
 * comes in and one as it is answered; nothing at `info`, no bodies.
 */
export class CallContext {
  private sequence = 0;

  constructor(
    /** Largest request message, bytes: `requestLimitBytes`, connect-es's `readMaxBytes`. */
    readonly limitBytes: number,
    /** The same check as the auth interceptor and the legacy routes. */
    readonly authorized: TokenCheck,
    private readonly logger: Logger,
  ) {}

  /** Logs a call coming in (at debug, when enabled) and returns what logs its end. */
  started(protocol: string, path: string): CallDone {
    if (!this.logger.isLevelEnabled("debug")) return noLog;
    const log = this.logger.child({ reqId: `rpc-${++this.sequence}` });
    const start = performance.now();
    log.debug({ req: { method: "POST", url: path, protocol } }, "incoming request");
    return (error) => {
      const responseTime = performance.now() - start;
      const res = error ? { code: Code[error.code] } : { code: "ok" };
      log.debug({ res, responseTime }, "request completed");
    };
  }
}
