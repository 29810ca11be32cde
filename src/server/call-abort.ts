import type { StopSignal } from "../queue/index.js";

/**
 * Aborts one call's wait: the members of AbortController and AbortSignal that
 * a pop uses, in one plain object. A long-poll route makes one per request, and
 * on Node 20 an AbortController is costly there: a third of what creating one
 * allocates survives young-generation GC, and the old-generation GCs that
 * follow stall the event loop (docs/PERFORMANCE.md, "Garbage collection").
 */
export class CallAbort implements StopSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  get signal(): StopSignal {
    return this;
  }

  /** Aborts once; each listener runs once. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  addEventListener(_type: "abort", listener: () => void): void {
    this.listeners ??= [];
    this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners?.splice(at, 1);
  }
}

/** The reason a long poll stops when its client goes away. */
const clientLeft = new Error("the client went away");

/** A response's close, as {@link abortWhenClientLeaves} listens for it. */
interface Closes {
  readonly writableFinished: boolean;
  once(event: "close", listener: () => void): unknown;
  off(event: "close", listener: () => void): unknown;
}

/**
 * Aborts when the client goes away before `res` is written, so a parked pop
 * stops waiting and takes no job. `gone`: the client already left (while
 * the body was being read, before anyone listened). Call `stop` once answered.
 */
export function abortWhenClientLeaves(
  res: Closes,
  gone: boolean,
): { signal: StopSignal; stop(): void } {
  const call = new CallAbort();
  const onClose = () => {
    if (!res.writableFinished) call.abort(clientLeft);
  };
  res.once("close", onClose);
  if (gone) call.abort(clientLeft);
  return { signal: call, stop: () => res.off("close", onClose) };
}
