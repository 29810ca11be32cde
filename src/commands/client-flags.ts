import { type ParseArgsConfig, parseArgs } from "node:util";

/** A flag of a client command: what `util.parseArgs` needs, plus its line in `--help`. */
export interface FlagSpec {
  /** The long name, without `--`. */
  readonly name: string;
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** May be given more than once (`--topic a --topic b`). */
  readonly multiple?: boolean;
  /** The value's placeholder in `--help` (`S`, `ID`); string flags only. */
  readonly arg?: string;
  /** What it does, its unit and its default, for `--help`. */
  readonly help: string;
}

/** Bad flags or values: the command prints the message and exits 2, before any call. */
export class UsageError extends Error {
  override name = "UsageError";
}

type RawValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Parsed flags, read through accessors that check and convert each value. */
export class FlagValues {
  constructor(private readonly values: RawValues) {}

  /** The value of a string flag; the last one when given twice. */
  string(name: string): string | undefined {
    const value = this.values[name];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === "string" ? last : undefined;
  }

  /** A string flag that must be given, and not empty. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
    return value;
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }

  /** Every value of a repeatable flag, each split at commas (`--topic a,b --topic c`). */
  list(name: string): string[] {
    const value = this.values[name];
    const given = Array.isArray(value) ? value : [value];
    return given
      .filter((item): item is string => typeof item === "string")
      .flatMap((item) => item.split(","))
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  /** A duration in seconds, fractions allowed (`0.25`); `undefined` when not given. */
  seconds(name: string): number | undefined {
    return this.number(name, "seconds, a number ≥ 0 (fractions allowed)", Number.isFinite);
  }

  /** A whole number ≥ 0; `undefined` when not given. */
  count(name: string): number | undefined {
    return this.number(name, "a whole number ≥ 0", Number.isSafeInteger);
  }

  private number(
    name: string,
    expected: string,
    valid: (value: number) => boolean,
  ): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = text.trim() === "" ? Number.NaN : Number(text);
    if (!valid(value) || value < 0) {
      throw new UsageError(`--${name} ${JSON.stringify(text)}: expected ${expected}`);
    }
    return value;
  }
}

/**
 * Parses `args` against `specs` (`util.parseArgs`, strict: an unknown flag, a missing value or
 * a stray argument is a {@link UsageError}). `--flag=value` and `--flag value` both work.
 */
export function parseFlags(specs: readonly FlagSpec[], args: readonly string[]): FlagValues {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const { name, type, short, multiple } of specs) {
    options[name] = { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) };
  }
  try {
    const { values } = parseArgs({ args: [...args], options, strict: true });
    return new FlagValues(values as RawValues);
  } catch (error) {
    // parseArgs explains some errors over several lines (`--delay -1`: use `--delay=-1`).
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, " ").replace(/\.$/, ""));
  }
}

/** The `--help` line of each spec, their help texts aligned in one column. */
export function flagLines(specs: readonly FlagSpec[]): string[] {
  const left = specs.map((spec) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    return `  ${short}--${spec.name}${spec.arg ? ` ${spec.arg}` : ""}`;
  });
  const width = Math.max(...left.map((text) => text.length));
  return specs.map((spec, i) => `${left[i]?.padEnd(width)}  ${spec.help}`);
}
