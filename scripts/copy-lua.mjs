// tsc does not copy the Lua scripts; the engine reads them beside its compiled code.
import { cpSync } from "node:fs";

cpSync("src/queue/scripts", "dist/src/queue/scripts", { recursive: true });
