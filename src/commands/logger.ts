import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../config/index.js";

/** Secret-bearing fields pino masks wherever they turn up, a few levels deep. */
const redactPaths = ["password", "authTokens", "authorization", "token", "tokens"].flatMap(
  (field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`],
);

/**
 * The service's logger: JSON lines on stdout (synchronous, so nothing is lost on exit), with
 * passwords, tokens and authorization headers masked as a second line of defence; the config
 * itself is only ever logged through `describeConfig`, which leaves them out.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    { name: "delay-queue", level, redact: { paths: redactPaths, censor: "[redacted]" } },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
