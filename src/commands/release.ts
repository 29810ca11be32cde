import type { ReleaseInput } from "../../sdk/index.js";
import { defineClientCommand } from "./client-command.js";

/** `delay-queue release`: hands a popped job back before its ttr runs out. */
export const releaseCommand = defineClientCommand<ReleaseInput>({
  name: "release",
  summary: "hand a popped job back: ready again now or after --delay",
  synopsis: "--id ID [--token TOKEN] [--delay S] [options]",
  description: `Hands a reserved job back before its ttr runs out: it is ready again at once, or
after --delay seconds. Exits 3 if there is no job with that id, 5 if it is not
reserved (by that token).
Prints {"id","released"}.`,
  flags: [
    { name: "id", type: "string", arg: "ID", help: "the job's id" },
    { name: "token", type: "string", arg: "TOKEN", help: "the token pop printed (default: any)" },
    {
      name: "delay",
      type: "string",
      arg: "S",
      help: "seconds before it is ready again (default 0)",
    },
  ],
  input: (flags) => ({
    id: flags.required("id"),
    token: flags.string("token"),
    delay: flags.seconds("delay") ?? 0,
  }),
  async call(client, input) {
    await client.release(input);
    return { output: { id: input.id, released: true } };
  },
});
