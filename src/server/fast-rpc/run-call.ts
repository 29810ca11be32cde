import type { EventEmitter } from "node:events";
import type { ConnectError } from "@connectrpc/connect";
import type { BodyCollector } from "./framing.js";
import { CallSignal, invoke } from "./invoke.js";
import type { FastMethod } from "./methods.js";

/**
 * Feeds `source`'s data into `body` and calls `onBody` at its end; a body the
 * collector refuses (too large) stops the reading and goes to `onRefused`.
 */
export function readBody(
  source: EventEmitter,
  body: BodyCollector,
  onBody: () => void,
  onRefused: (error: ConnectError) => void,
): void {
  const onData = (chunk: Buffer) => {
    try {
      body.push(chunk);
    } catch (error) {
      source.off("data", onData);
      source.off("end", onEnd);
      onRefused(error as ConnectError);
    }
  };
  const onEnd = () => {
    // node:http2 keeps a closed stream, and all it references, until a GC after the next:
    // the body's chunks (views of the session's read buffers) must not be among them.
    source.off("data", onData);
    onBody();
  };
  source.on("data", onData);
  source.once("end", onEnd);
}

/** How {@link runCall} runs one call. */
export interface RunCall {
  method: FastMethod;
  message: Uint8Array;
  timeoutMs: number | undefined;
  /** Emits `close` when the client goes away. */
  closes: EventEmitter;
  authorized: boolean;
  onResponse(response: Uint8Array): void;
  onError(error: ConnectError): void;
}

/**
 * Invokes the method. A method that waits (Pop, PopBatch) gets a signal that
 * aborts at its deadline or when the client goes away; the close listener is
 * removed before the answer goes out, so a close while it listens is the client leaving.
 */
export function runCall(run: RunCall): void {
  const call = run.method.waits ? new CallSignal(run.timeoutMs) : undefined;
  const onClose = call ? () => call.cancel() : undefined;
  if (onClose) run.closes.once("close", onClose);
  const settle = () => {
    if (onClose) run.closes.off("close", onClose);
    call?.done();
  };
  invoke(run.method, run.message, call?.signal, run.authorized).then(
    (response) => {
      settle();
      run.onResponse(response);
    },
    (error: ConnectError) => {
      settle();
      run.onError(error);
    },
  );
}
