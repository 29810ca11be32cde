import type { ConfigNotice } from "./config.js";
import { clientEnv, configFileEnv, envName, settingKeys } from "./keys.js";
import type { Layer } from "./source.js";

/** What {@link readEnv} found. */
export interface EnvSettings {
  readonly layer: Layer;
  /** `DQ_CONFIG`: the config file when `-c` is not given. */
  readonly configFile: string | undefined;
  readonly notices: readonly ConfigNotice[];
}

/**
 * Reads `DQ_*` variables: `DQ_` + the ini key in capitals with `.` as `_` (`DQ_BIND_ADDRESS`,
 * `DQ_REDIS_HOST`, `DQ_REDIS_PASSWORD`, `DQ_AUTH_TOKENS`, …). An empty variable counts as
 * unset. Unknown `DQ_*` variables are reported as warnings; the client commands' `DQ_SERVER`
 * and `DQ_TOKEN` are known, and ignored here.
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>): EnvSettings {
  const layer: Layer = {};
  const known = new Set<string>([configFileEnv, ...Object.values(clientEnv)]);
  for (const key of settingKeys) {
    const name = envName(key);
    known.add(name);
    const value = env[name];
    if (value !== undefined && value !== "") {
      layer[key] = { value: value.trim(), source: { kind: "env", name } };
    }
  }
  const notices: ConfigNotice[] = Object.keys(env)
    .filter((name) => name.startsWith("DQ_") && !known.has(name))
    .map((name) => ({ level: "warn", msg: `unknown environment variable ${name} ignored` }));
  const configFile = env[configFileEnv] === "" ? undefined : env[configFileEnv];
  return { layer, configFile, notices };
}
