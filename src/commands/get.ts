import { Code, ConnectError, type GetInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";

/** `delay-queue get`: reads a job. */
export const getCommand = defineClientCommand<GetInput>({
  name: "get",
  summary: "print a job with its state (exit 3 when there is none)",
  synopsis: "--id ID [options]",
  description: `Reads a job. Exits 3 if there is no job with that id.
Prints {"topic","id","body","state","delay","ttr","attempts","dueTime",...}.`,
  flags: [{ name: "id", type: "string", arg: "ID", help: "the job's id" }],
  input: (flags) => ({ id: flags.required("id") }),
  async call(client, input) {
    const job = await client.get(input);
    // The SDK turns the server's not_found into `undefined`; the exit code wants it back.
    if (!job) throw new ConnectError(`no job with id "${input.id}"`, Code.NotFound);
    return { output: job };
  },
});
