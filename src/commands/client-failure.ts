import { Code, ConnectError } from "../../sdk/index.js";
import { ExitCode, type ExitCodeValue } from "./command.js";

/** The exit code of each server answer that scripts may want to tell apart; others exit 1. */
const exitCodes: Partial<Record<Code, ExitCodeValue>> = {
  [Code.InvalidArgument]: ExitCode.usage,
  [Code.OutOfRange]: ExitCode.usage,
  [Code.NotFound]: ExitCode.notFound,
  [Code.AlreadyExists]: ExitCode.conflict,
  [Code.FailedPrecondition]: ExitCode.conflict,
};

/** What the caller can do about a code, appended to the message. */
const hints: Partial<Record<Code, string>> = {
  [Code.Unavailable]: "is the server running at {server}?",
  [Code.DeadlineExceeded]: "no answer from {server} in time; see --timeout-ms",
  [Code.Unauthenticated]: "set DQ_TOKEN (or --auth-token) to a token the server accepts",
};

/** The exit code and one-line message for anything a client call threw. */
export function describeFailure(
  error: unknown,
  server: string,
): { code: ExitCodeValue; message: string } {
  if (error instanceof ConnectError) {
    const hint = hints[error.code]?.replace("{server}", server);
    return {
      code: exitCodes[error.code] ?? ExitCode.failed,
      message: oneLine(hint ? `${error.message} (${hint})` : error.message),
    };
  }
  return { code: ExitCode.failed, message: oneLine(String((error as Error)?.message ?? error)) };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
