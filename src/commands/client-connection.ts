import type { ClientOptions } from "../../sdk/index.js";
import { clientEnv } from "../config/index.js";
import type { FlagSpec, FlagValues } from "./client-flags.js";
import { UsageError } from "./client-flags.js";

/** Where the client commands go unless `--server` or `DQ_SERVER` says otherwise. */
export const DEFAULT_SERVER = "http://127.0.0.1:9277";
/** Deadline of a client call unless `--timeout-ms` says otherwise, ms; pop adds its wait. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const protocols = ["connect", "grpc", "grpc-web"] as const;

/** The flags every client command takes, after its own. */
export const connectionFlags: readonly FlagSpec[] = [
  {
    name: "server",
    type: "string",
    arg: "URL",
    help: `server base URL (env ${clientEnv.server}, default ${DEFAULT_SERVER})`,
  },
  { name: "protocol", type: "string", arg: "P", help: "connect|grpc|grpc-web (default connect)" },
  {
    name: "auth-token",
    type: "string",
    arg: "T",
    help: `bearer token (prefer env ${clientEnv.token}: flags show in ps)`,
  },
  {
    name: "timeout-ms",
    type: "string",
    arg: "MS",
    help: `deadline of the call, pop adds its --timeout (default ${DEFAULT_TIMEOUT_MS}; 0: none)`,
  },
  { name: "help", short: "h", type: "boolean", help: "print this help" },
];

/**
 * The SDK client options from the connection flags, falling back to `DQ_SERVER` and
 * `DQ_TOKEN` (a flag wins over its variable; an empty variable counts as unset).
 * @throws UsageError for a URL that is not http(s), an unknown protocol or a bad timeout
 */
export function clientOptions(
  flags: FlagValues,
  env: Readonly<Record<string, string | undefined>>,
): ClientOptions {
  const baseUrl = flags.string("server") ?? (env[clientEnv.server] || DEFAULT_SERVER);
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {}
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new UsageError(`server ${JSON.stringify(baseUrl)}: expected an http:// or https:// URL`);
  }
  const protocol = flags.string("protocol") ?? "connect";
  if (!isProtocol(protocol)) {
    throw new UsageError(
      `--protocol ${JSON.stringify(protocol)}: expected ${protocols.join(", ")}`,
    );
  }
  const token = flags.string("auth-token") ?? (env[clientEnv.token] || undefined);
  const timeoutMs = flags.count("timeout-ms") ?? DEFAULT_TIMEOUT_MS;
  return { baseUrl, protocol, token, timeoutMs: timeoutMs === 0 ? undefined : timeoutMs };
}

function isProtocol(value: string): value is (typeof protocols)[number] {
  return (protocols as readonly string[]).includes(value);
}
