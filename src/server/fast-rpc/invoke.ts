import { fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StopSignal } from "../../queue/index.js";
import { unauthenticatedMessage } from "../auth.js";
import { CallAbort } from "../call-abort.js";
import type { FastMethod } from "./methods.js";

/**
 * Decodes `message`, calls the method and encodes its answer. As with connect-es, whose
 * auth interceptor runs once the request is decoded, an undecodable request is refused as
 * such before a caller without an accepted token (`authorized` false) is.
 * @throws ConnectError always a ConnectError: a request that is not valid protobuf is
 *   `invalid_argument` (as rpc-errors.ts answers it), anything unexpected `internal`
 */
export async function invoke(
  method: FastMethod,
  message: Uint8Array,
  signal: StopSignal | undefined,
  authorized: boolean,
): Promise<Uint8Array> {
  let request: Message;
  try {
    request = fromBinary(method.input, message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectError(`parse binary: ${reason}`, Code.InvalidArgument);
  }
  if (!authorized) throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
  try {
    return toBinary(method.output, await method.call(request, signal));
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    throw new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The stop signal of a call that may wait (a long-poll pop): aborted when the
 * client goes away, or with `deadline_exceeded` when its deadline passes, as
 * connect-es aborts a handler's `context.signal`.
 */
export class CallSignal {
  private readonly controller = new CallAbort();
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number | undefined) {
    // Beyond a timer's range (~24.8 days) Node would fire it at once; no wait lasts that long.
    if (timeoutMs === undefined || timeoutMs > MAX_TIMER_MS) return;
    if (timeoutMs <= 0) this.expire();
    else this.timer = setTimeout(() => this.expire(), timeoutMs);
  }

  get signal(): StopSignal {
    return this.controller.signal;
  }

  /** The client went away: the handler stops waiting and takes nothing. */
  cancel(): void {
    this.done();
    if (!this.controller.signal.aborted) {
      this.controller.abort(new ConnectError("the client closed the call", Code.Canceled));
    }
  }

  /** The call has its answer: no timer may outlive it. */
  done(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    this.controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
  }
}
