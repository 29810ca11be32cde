import { type Command, type CommandContext, ExitCode, exitCodeUsage } from "./command.js";
import { deleteCommand } from "./delete.js";
import { finishCommand } from "./finish.js";
import { getCommand } from "./get.js";
import { popCommand } from "./pop.js";
import { pushCommand } from "./push.js";
import { releaseCommand } from "./release.js";
import { serveCommand } from "./serve.js";
import { packageVersion } from "./version.js";

/** Every subcommand: the server, then the clients of a running server. */
const commands: readonly Command[] = [
  serveCommand,
  pushCommand,
  popCommand,
  finishCommand,
  releaseCommand,
  deleteCommand,
  getCommand,
];
const defaultCommand = serveCommand;

function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `Usage: delay-queue [command] [options]

A delay queue on Redis, a drop-in replacement for the Go delay-queue.

Commands:
${list}

Without a command, delay-queue runs serve: delay-queue -c delay-queue.conf.
Run delay-queue <command> --help for a command's options.

The client commands (push, pop, finish, release, delete, get) call a running server:
--server URL or DQ_SERVER (default http://127.0.0.1:9277), bearer token in DQ_TOKEN.
They print one line of JSON on stdout and errors as one line on stderr.

Options:
  -v, --version  print the version
  -h, --help     print this help

${exitCodeUsage}`;
}

/**
 * Runs `delay-queue` with `argv` (without node and the script): the first word picks a
 * command, anything else (flags, or nothing) runs `serve`. Resolves to the exit code.
 */
export async function runCli(argv: readonly string[], context: CommandContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "-v" || first === "--version") {
    context.stdout(packageVersion());
    return ExitCode.ok;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    context.stdout(usage());
    return ExitCode.ok;
  }
  if (first === undefined || first.startsWith("-")) return defaultCommand.run(argv, context);
  const command = commands.find((c) => c.name === first);
  if (!command) {
    context.stderr(`delay-queue: unknown command "${first}"; see delay-queue --help`);
    return ExitCode.usage;
  }
  return command.run(rest, context);
}
