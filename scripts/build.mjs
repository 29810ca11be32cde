// `npm run build [-- OUT_DIR]`: compiles src/, sdk/ and gen/ into dist/ (or OUT_DIR) with
// declarations, starting from an empty dir so that no file deleted from the source ships,
// then copies the Lua scripts, which the engine reads beside its compiled code.
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = resolve(process.argv[2] ?? join(root, "dist"));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", outDir], {
  cwd: root,
  stdio: "inherit",
});
cpSync(join(root, "src/queue/scripts"), join(outDir, "src/queue/scripts"), { recursive: true });
