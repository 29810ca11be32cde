import type { DeleteInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";

/** `delay-queue delete`: removes a job whatever its state. */
export const deleteCommand = defineClientCommand<DeleteInput>({
  name: "delete",
  summary: "delete a job, whatever its state",
  synopsis: "--id ID [options]",
  description: `Removes a job whatever its state. Idempotent: no such job prints "deleted": false
and exits 0.
Prints {"id","deleted"}.`,
  flags: [{ name: "id", type: "string", arg: "ID", help: "the job's id" }],
  input: (flags) => ({ id: flags.required("id") }),
  async call(client, input) {
    const { deleted } = await client.delete(input);
    return { output: { id: input.id, deleted } };
  },
});
