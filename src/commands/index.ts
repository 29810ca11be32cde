export type { Command, CommandContext } from "./command.js";
export { ExitCode } from "./command.js";
export { createLogger } from "./logger.js";
export { runCli } from "./run-cli.js";
export { serveCommand } from "./serve.js";
export { packageVersion } from "./version.js";
