#!/usr/bin/env node
import { text } from "node:stream/consumers";
import { runCli } from "./commands/index.js";

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readStdin: () => text(process.stdin),
});
process.exitCode = code;
// Anything left holding the event loop (a stuck socket) must not keep a stopped server alive.
setTimeout(() => process.exit(code), 2_000).unref();
