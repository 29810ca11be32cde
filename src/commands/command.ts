/** What a command may touch: everything the process would, passed in so it can be swapped. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Writes a line to stdout. */
  stdout(text: string): void;
  /** Writes a line to stderr. */
  stderr(text: string): void;
}

/** A `delay-queue` subcommand; `run` resolves to the exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list in `--help`. */
  readonly summary: string;
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

/** Exit codes: 0 done, 1 failed at run time (Redis unreachable, port taken), 2 bad usage or config. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
