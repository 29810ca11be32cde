import type { FinishInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";

/** `delay-queue finish`: the consumer is done with a job. */
export const finishCommand = defineClientCommand<FinishInput>({
  name: "finish",
  summary: "finish a popped job: it is gone",
  synopsis: "--id ID [--token TOKEN] [options]",
  description: `Removes a reserved job: the consumer is done with it. With --token (from pop), only
that hand-out is finished, not a later one. Idempotent: a job already gone prints
"finished": false and exits 0.
Prints {"id","finished"}.`,
  flags: [
    { name: "id", type: "string", arg: "ID", help: "the job's id" },
    { name: "token", type: "string", arg: "TOKEN", help: "the token pop printed (default: any)" },
  ],
  input: (flags) => ({ id: flags.required("id"), token: flags.string("token") }),
  async call(client, input) {
    const { finished } = await client.finish(input);
    return { output: { id: input.id, finished } };
  },
});
