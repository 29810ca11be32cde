import { constants } from "node:os";
import type { Logger } from "pino";

/** Signals that ask for a graceful stop. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;
/**
 * Copies of the first signal within this window are not "a second signal": under `npm start`
 * a terminal's Ctrl-C reaches node both from the terminal and forwarded by npm.
 */
const REPEAT_WINDOW_MS = 500;

/** Stop requests from SIGINT/SIGTERM; call `dispose()` once done. */
export interface StopSignals {
  /** Resolves with the first signal. */
  readonly first: Promise<NodeJS.Signals>;
  dispose(): void;
}

/**
 * The first SIGINT/SIGTERM resolves `first` (the caller stops gracefully); a second one, later
 * than {@link REPEAT_WINDOW_MS}, exits at once with 128 + the signal number, after `onForce`.
 */
export function watchStopSignals(logger: Logger, onForce: () => void): StopSignals {
  let firstAt: number | undefined;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => {};
  const first = new Promise<NodeJS.Signals>((resolve) => {
    resolveFirst = resolve;
  });
  const listener = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      logger.info({ signal }, "stopping gracefully; send the signal again to force");
      resolveFirst(signal);
      return;
    }
    if (Date.now() - firstAt < REPEAT_WINDOW_MS) return;
    logger.warn({ signal }, "second signal: exiting now");
    onForce();
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return {
    first,
    dispose() {
      for (const signal of STOP_SIGNALS) process.off(signal, listener);
    },
  };
}
