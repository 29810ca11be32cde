import type { SettingKey } from "./keys.js";
import type { Source } from "./source.js";

/**
 * A setting is wrong, or a config file cannot be read. The message names the key and where
 * its value came from, e.g. `bind_address "x" in delay-queue.conf: expected host:port`.
 * The CLI prints it and exits with code 2.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    /** The setting at fault, when there is one. */
    readonly key?: SettingKey,
    /** Where its value came from. */
    readonly source?: Source,
  ) {
    super(message);
  }
}
