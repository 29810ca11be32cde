import { createClient, type DelayQueueClient } from "../../sdk/index.js";
import { clientOptions, connectionFlags } from "./client-connection.js";
import { describeFailure } from "./client-failure.js";
import {
  type FlagSpec,
  type FlagValues,
  flagLines,
  parseFlags,
  UsageError,
} from "./client-flags.js";
import { type Command, type CommandContext, ExitCode, type ExitCodeValue } from "./command.js";

/** What a client call printed and how the command exits. */
export interface Outcome {
  /** Printed as one line of JSON on stdout (`undefined` prints `null`). */
  readonly output: unknown;
  /** @defaultValue `ExitCode.ok` */
  readonly code?: ExitCodeValue;
}

/** One client subcommand: its flags, how they become the call's input, and the call. */
export interface ClientCommandSpec<Input> {
  readonly name: string;
  /** One line for the command list in `delay-queue --help`. */
  readonly summary: string;
  /** What follows `delay-queue <name>` in the usage line, e.g. `--id ID [options]`. */
  readonly synopsis: string;
  /** A few lines under the usage line: what it does and what it prints. */
  readonly description: string;
  /** The command's own flags; the connection flags are added after them. */
  readonly flags: readonly FlagSpec[];
  /** Checks the flags and builds the input; runs before any connection. Throws UsageError. */
  input(flags: FlagValues, context: CommandContext): Input | Promise<Input>;
  /** Makes the call. Throws the SDK's ConnectError, whose code picks the exit code. */
  call(client: DelayQueueClient, input: Input): Promise<Outcome>;
}

/**
 * Turns a spec into a {@link Command}: parses the flags (usage errors exit 2 before any call),
 * builds an SDK client from `--server`/`--protocol`/`--auth-token`/`--timeout-ms` (or
 * `DQ_SERVER`/`DQ_TOKEN`), makes the call and prints its outcome as one line of JSON on
 * stdout; a failure is one line on stderr, with the exit code its kind calls for.
 */
export function defineClientCommand<Input>(spec: ClientCommandSpec<Input>): Command {
  const flags = [...spec.flags, ...connectionFlags];
  const prefix = `delay-queue ${spec.name}`;
  const lines = flagLines(flags);
  const usage = `Usage: ${prefix} ${spec.synopsis}

${spec.description}

Options:
${lines.slice(0, spec.flags.length).join("\n")}

Connection:
${lines.slice(spec.flags.length).join("\n")}

Output is one line of JSON on stdout; errors are one line on stderr.
Exit codes: 0 done, 1 failed, 2 usage, 3 not found, 4 no job, 5 conflict (delay-queue --help).`;

  return {
    name: spec.name,
    summary: spec.summary,
    async run(args, context) {
      let parsed: FlagValues;
      let input: Input;
      let options: ReturnType<typeof clientOptions>;
      try {
        parsed = parseFlags(flags, args);
        if (parsed.boolean("help")) {
          context.stdout(usage);
          return ExitCode.ok;
        }
        options = clientOptions(parsed, context.env);
        input = await spec.input(parsed, context);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        context.stderr(`${prefix}: ${error.message}; see ${prefix} --help`);
        return ExitCode.usage;
      }
      try {
        const outcome = await spec.call(createClient(options), input);
        context.stdout(JSON.stringify(outcome.output ?? null));
        return outcome.code ?? ExitCode.ok;
      } catch (error) {
        const failure = describeFailure(error, options.baseUrl);
        context.stderr(`${prefix}: ${failure.message}`);
        return failure.code;
      }
    },
  };
}
