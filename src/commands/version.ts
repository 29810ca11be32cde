import { readFileSync } from "node:fs";

/**
 * The package version, from the nearest `package.json` named `delay-queue` above this file:
 * `../../package.json` from `src/commands/`, `../../../package.json` from `dist/src/commands/`.
 */
export function packageVersion(): string {
  for (let up = 1; up <= 4; up++) {
    const url = new URL(`${"../".repeat(up)}package.json`, import.meta.url);
    try {
      const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "delay-queue" && typeof pkg.version === "string") return pkg.version;
    } catch {}
  }
  return "unknown";
}
