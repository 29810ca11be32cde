import type { ConnectError } from "@connectrpc/connect";

/**
 * How a call in flight is ended early (its deadline, the caller's signal):
 * the transport decides when, the exchange registers how. A stop that comes
 * before the exchange has registered is kept and applied when it does.
 */
export class CallStop {
  /** Why the call was stopped, once it was. */
  reason: ConnectError | undefined;
  private hook: ((reason: ConnectError) => void) | undefined;

  stop(reason: ConnectError): void {
    if (this.reason) return;
    this.reason = reason;
    this.hook?.(reason);
  }

  /** Runs `hook` when the call stops, or at once if it has already. */
  onStop(hook: (reason: ConnectError) => void): void {
    if (this.reason) hook(this.reason);
    else this.hook = hook;
  }
}
