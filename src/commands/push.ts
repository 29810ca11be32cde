import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { PushInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";
import { type FlagValues, UsageError } from "./client-flags.js";
import type { CommandContext } from "./command.js";

/** `delay-queue push`: creates a job, or replaces the job with that id. */
export const pushCommand = defineClientCommand<PushInput & { id: string }>({
  name: "push",
  summary: "push a job (replacing the job with that id, unless --if-absent)",
  synopsis: "--topic T --ttr S [--id ID] [--delay S] [--body TEXT | --body-file FILE|-] [options]",
  description: `Pushes a job that is ready after --delay seconds; a consumer that pops it has --ttr
seconds to finish it. An existing job with the same id is replaced (new topic, body,
delay and ttr), unless --if-absent: then it is left alone and push exits 5.
Prints {"id","topic","dueTime","replaced"}.`,
  flags: [
    { name: "topic", type: "string", arg: "T", help: "1-128 characters of [A-Za-z0-9._:-]" },
    { name: "id", type: "string", arg: "ID", help: "1-256 bytes (default: a random UUID)" },
    { name: "delay", type: "string", arg: "S", help: "seconds before it is ready (default 0)" },
    { name: "ttr", type: "string", arg: "S", help: "seconds to finish it after each pop" },
    { name: "body", type: "string", arg: "TEXT", help: "the payload (default empty)" },
    {
      name: "body-file",
      type: "string",
      arg: "FILE",
      help: "read the payload from FILE; - is stdin",
    },
    { name: "if-absent", type: "boolean", help: "refuse (exit 5) if a job with this id exists" },
  ],
  async input(flags, context) {
    const ttr = flags.seconds("ttr");
    if (ttr === undefined) throw new UsageError("--ttr is required");
    return {
      topic: flags.required("topic"),
      id: flags.string("id") ?? randomUUID(),
      delay: flags.seconds("delay") ?? 0,
      ttr,
      body: await readBody(flags, context),
      ifAbsent: flags.boolean("if-absent"),
    };
  },
  async call(client, input) {
    const { dueTime, replaced } = await client.push(input);
    return { output: { id: input.id, topic: input.topic, dueTime, replaced } };
  },
});

/** `--body TEXT`, or the UTF-8 content of `--body-file` (`-`: stdin), or empty. */
async function readBody(flags: FlagValues, context: CommandContext): Promise<string> {
  const body = flags.string("body");
  const file = flags.string("body-file");
  if (body !== undefined && file !== undefined) {
    throw new UsageError("give --body or --body-file, not both");
  }
  if (file === undefined) return body ?? "";
  if (file === "-") return context.readStdin();
  try {
    return await readFile(resolve(context.cwd, file), "utf8");
  } catch (error) {
    throw new UsageError(`--body-file ${JSON.stringify(file)}: ${(error as Error).message}`);
  }
}
