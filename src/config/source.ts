import { basename } from "node:path";
import type { SettingKey } from "./keys.js";

/** Where a setting's value came from. */
export type Source =
  | { readonly kind: "default" }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "flag"; readonly name: string };

/** A value as a source spelled it, before validation. */
export interface RawValue {
  readonly value: string;
  readonly source: Source;
}

/** What one source (file, env or flags) sets; later layers override earlier ones. */
export type Layer = Partial<Record<SettingKey, RawValue>>;

export const defaultSource: Source = Object.freeze({ kind: "default" });

/**
 * How a message names a setting: `bind_address … in delay-queue.conf`, `DQ_BIND_ADDRESS …
 * (environment)`, `--bind …`, `bind_address … (default)`. `shown` goes after the name.
 */
export function describeSetting(key: SettingKey, source: Source, shown = ""): string {
  const value = shown === "" ? "" : ` ${shown}`;
  switch (source.kind) {
    case "file":
      return `${key}${value} in ${source.path}`;
    case "env":
      return `${source.name}${value} (environment)`;
    case "flag":
      return `--${source.name}${value}`;
    case "default":
      return `${key}${value} (default)`;
  }
}

/** A short label for logs: `default`, `file delay-queue.conf`, `env DQ_PREFIX`, `flag --prefix`. */
export function sourceLabel(source: Source): string {
  switch (source.kind) {
    case "file":
      return `file ${basename(source.path)}`;
    case "env":
      return `env ${source.name}`;
    case "flag":
      return `flag --${source.name}`;
    case "default":
      return "default";
  }
}
