/** Parsers for setting values; each returns `undefined` for text it does not accept. */

/** A `host:port` pair; IPv6 hosts in brackets (`[::1]:9277`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const hostPortPattern = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]*)):(\d{1,5})$/;

/**
 * `host:port`, `[v6]:port` or `:port` (host `""`: Go reads it as all interfaces to listen on,
 * or the local host to dial). Port 0 is accepted only with `allowZero`.
 */
export function parseHostPort(text: string, allowZero: boolean): HostPort | undefined {
  const match = hostPortPattern.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535 || (port === 0 && !allowZero)) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** A Redis address: `host:port`, `host` (port 6379), or `redis[s]://[user:pass@]host[:port][/db]`. */
export interface RedisAddress extends HostPort {
  readonly tls: boolean;
  readonly username: string;
  /** Present when the URL carries one. */
  readonly password?: string;
  /** Present when the URL names one. */
  readonly db?: number;
}

export function isRedisUrl(text: string): boolean {
  return /^rediss?:\/\//i.test(text);
}

export function parseRedisAddress(text: string): RedisAddress | undefined {
  if (isRedisUrl(text)) return parseRedisUrl(text);
  if (text.includes("/") || text.includes("@")) return undefined;
  const withPort = parseHostPort(text, false);
  if (withPort) return plain({ host: withPort.host || "127.0.0.1", port: withPort.port });
  // A bare host name or IPv4 address: the Go service always gives a port, we allow none.
  if (/^[A-Za-z0-9.-]+$/.test(text)) return plain({ host: text, port: 6379 });
  const v6 = /^\[([0-9A-Fa-f:.]+)\]$/.exec(text);
  return v6?.[1] ? plain({ host: v6[1], port: 6379 }) : undefined;
}

function plain(address: HostPort): RedisAddress {
  return { ...address, tls: false, username: "" };
}

function parseRedisUrl(text: string): RedisAddress | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.hostname === "" || (url.search !== "" && url.search !== "?") || url.hash !== "") {
    return undefined;
  }
  const path = url.pathname.replace(/^\//, "");
  const db = path === "" ? undefined : parseInteger(path, 0, 2 ** 31 - 1);
  if (path !== "" && db === undefined) return undefined;
  const port = url.port === "" ? 6379 : Number(url.port);
  const address: RedisAddress = {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    tls: url.protocol.toLowerCase() === "rediss:",
    username: decodeURIComponent(url.username),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(db === undefined ? {} : { db }),
  };
  return port >= 1 && port <= 65535 ? address : undefined;
}

/** A URL with its password replaced, for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}

/** A whole number in [min, max], written as plain digits. */
export function parseInteger(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** `auth_tokens`: comma-separated, blanks dropped; undefined names the first bad token (1-based). */
export function parseTokens(text: string): { tokens: string[] } | { bad: number } {
  const tokens = text
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "");
  const bad = tokens.findIndex((token) => !/^[\x21-\x7E]+$/.test(token));
  return bad === -1 ? { tokens } : { bad: bad + 1 };
}
