/** What a command may touch: everything the process would, passed in so it can be swapped. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Writes a line to stdout. */
  stdout(text: string): void;
  /** Writes a line to stderr. */
  stderr(text: string): void;
  /** Reads stdin to its end, as UTF-8 (`push --body-file -`). */
  readStdin(): Promise<string>;
}

/** A `delay-queue` subcommand; `run` resolves to the exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list in `--help`. */
  readonly summary: string;
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

/**
 * Exit codes, the same for every command, so that scripts can branch on them
 * (listed in `delay-queue --help` by {@link exitCodeUsage}).
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Failed at run time: Redis or the server unreachable, port taken, refused, timed out. */
  failed: 1,
  /** Bad usage: an unknown flag, a bad value or config, or input the server refused as invalid. */
  usage: 2,
  /** No job with that id (`get`, `release`). */
  notFound: 3,
  /** `pop` waited its `--timeout` and no job came. */
  noJob: 4,
  /** The job is not in a state that allows it: `push --if-absent` of an existing id, `release` of a job not reserved (by that token). */
  conflict: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code table of `delay-queue --help`. */
export const exitCodeUsage = `Exit codes:
  0  done
  1  failed: server or Redis unreachable, unauthenticated, timed out, any other error
  2  usage: unknown flag, bad value or config, or input the server refused as invalid
  3  not found: get or release of an id with no job
  4  no job: pop waited --timeout seconds and none came
  5  conflict: push --if-absent of an existing id, release of a job not reserved (by --token)`;
