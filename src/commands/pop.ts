import type { PopInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";
import { UsageError } from "./client-flags.js";
import { ExitCode } from "./command.js";

/** `delay-queue pop`: reserves the next ready job, waiting up to `--timeout` seconds. */
export const popCommand = defineClientCommand<PopInput>({
  name: "pop",
  summary: "reserve the next ready job of the topics (exit 4 when none came)",
  synopsis: "--topic T[,T...] [--timeout S] [options]",
  description: `Reserves the oldest ready job of the first topic (in the order given) that has one,
waiting up to --timeout seconds for one. Finish it (or release it) with its id and
token within its ttr, or it is handed out again.
Prints the job {"topic","id","body","state","attempts","token",...}, or null and
exits 4 when no job came: while job=$(delay-queue pop --topic T --timeout 30); do ...; done`,
  flags: [
    {
      name: "topic",
      type: "string",
      multiple: true,
      arg: "T",
      help: "topic to pop from; repeat it or separate with commas (1-64)",
    },
    { name: "timeout", type: "string", arg: "S", help: "seconds to wait, 0-180 (default 0)" },
  ],
  input(flags) {
    const topics = flags.list("topic");
    if (topics.length === 0) throw new UsageError("--topic is required");
    return { topics, timeout: flags.seconds("timeout") ?? 0 };
  },
  async call(client, input) {
    const job = await client.pop(input);
    return job ? { output: job } : { output: null, code: ExitCode.noJob };
  },
});
