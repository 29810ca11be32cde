export type {
  Config,
  ConfigNotice,
  EmbeddedRedisMode,
  LogLevel,
  RedisSettings,
} from "./config.js";
export { ConfigError } from "./config-error.js";
export { defaults } from "./defaults.js";
export type { EnvSettings } from "./env.js";
export { readEnv } from "./env.js";
export type { Flags } from "./flags.js";
export { flagUsage, parseFlags } from "./flags.js";
export type { IniFile } from "./ini-file.js";
export { parseIni, readIniFile } from "./ini-file.js";
export type { FlagName, SettingKey } from "./keys.js";
export { clientEnv, envName, flagKeys, secretKeys, settingKeys } from "./keys.js";
export type { LoadConfigInput } from "./load-config.js";
export { loadConfig } from "./load-config.js";
export { describeConfig, logConfig } from "./log-config.js";
export type { RedisAddressOverride } from "./server-options.js";
export { toServerOptions, usesEmbeddedRedis } from "./server-options.js";
export type { Layer, RawValue, Source } from "./source.js";
