import { readFileSync } from "node:fs";
import { decode } from "ini";
import type { ConfigNotice } from "./config.js";
import { ConfigError } from "./config-error.js";
import { isSettingKey } from "./keys.js";
import type { Layer } from "./source.js";

/** What {@link readIniFile} found. */
export interface IniFile {
  readonly layer: Layer;
  readonly notices: readonly ConfigNotice[];
}

/**
 * Reads the Go service's `delay-queue.conf` as is: ini, every key in the top section, every
 * key optional, `;` or `#` starting a comment at the start of a line or after a value (as
 * go-ini does: quote a value that holds one, `"a;b"`). Unknown keys and keys inside a
 * `[section]` are reported as warnings, not errors.
 *
 * The `ini` package already cuts inline comments from unquoted values (but not after quoted
 * ones: {@link dropCommentAfterQuotes}); it also turns `true`,
 * `false` and `null` into JSON values and unquotes `'…'`/`"…"` (a quoted number becomes a
 * number), so every value is turned back into the string the file holds.
 * `name` is how messages and sources call the file (the path as the user gave it).
 * @throws ConfigError when the file cannot be read
 */
export function readIniFile(path: string, name = path): IniFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`cannot read config file ${name}: ${reason}`);
  }
  return parseIni(text, name);
}

/** Parses ini text; `path` names the file in sources and messages. */
export function parseIni(text: string, path: string): IniFile {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map(dropCommentAfterQuotes);
  const parsed = decode(lines.join("\n")) as Record<string, unknown>;
  const layer: Layer = {};
  const notices: ConfigNotice[] = [];
  const source = { kind: "file", path } as const;
  for (const [key, value] of Object.entries(parsed)) {
    if (isSection(value)) {
      const inside = Object.keys(value).join(", ");
      notices.push({
        level: "warn",
        msg: `${path}: section [${key}] ignored (${inside}): every key belongs in the top section`,
      });
    } else if (!isSettingKey(key)) {
      notices.push({ level: "warn", msg: `${path}: unknown key ${key} ignored` });
    } else {
      layer[key] = { value: asText(value), source };
    }
  }
  return { layer, notices };
}

/**
 * `key = "a;b" ; note`: `ini` unquotes a value only when the quotes end the line, and would
 * cut this one at its first `;`; go-ini keeps `a;b`. Dropping the comment lets `ini` see quotes.
 */
function dropCommentAfterQuotes(line: string): string {
  return line.replace(/^([^=;#[]*=\s*)("[^"]*"|'[^']*')\s*[;#].*$/, "$1$2");
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asText(value: unknown): string {
  // `key = a` twice is the last one; `key[] = a` lists are not part of the format.
  if (Array.isArray(value)) return asText(value.at(-1));
  if (value === null) return "null";
  return String(value);
}
