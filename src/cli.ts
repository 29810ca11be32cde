#!/usr/bin/env node
import { runCli } from "./commands/index.js";

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
process.exitCode = code;
// Anything left holding the event loop (a stuck socket) must not keep a stopped server alive.
setTimeout(() => process.exit(code), 2_000).unref();
