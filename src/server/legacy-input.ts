/**
 * Reading the legacy POST-JSON bodies: the Go service's JSON, checked for the
 * types its structs declare (strings, and int64 seconds). Only shapes are
 * checked here; every rule on values (ranges, topic syntax, sizes) stays in
 * the service, so both ways in refuse the same things with the same words.
 */

/** A request the legacy routes cannot read; answered as `{code: 1, message}`. */
export class LegacyInputError extends Error {
  override name = "LegacyInputError";
}

/** The JSON object of a request body, which may arrive as a Buffer, a string or nothing. */
export type Fields = Record<string, unknown>;

/** Parses a body as a JSON object, whatever content type it was sent with. */
export function readFields(body: unknown): Fields {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
  if (text.trim() === "") {
    throw new LegacyInputError("request body is empty: send a JSON object");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message}` : "";
    throw new LegacyInputError(`request body is not valid JSON${reason}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new LegacyInputError("request body must be a JSON object");
  }
  return parsed as Fields;
}

// JSON null reads like a missing field, as it does for the Go service's structs.
function present(fields: Fields, name: string): boolean {
  return fields[name] !== undefined && fields[name] !== null;
}

/** A string field; `fallback` when absent, else required. */
export function stringField(fields: Fields, name: string, fallback?: string): string {
  if (!present(fields, name)) {
    if (fallback !== undefined) return fallback;
    throw new LegacyInputError(`${name} is required`);
  }
  const value = fields[name];
  if (typeof value !== "string") throw new LegacyInputError(`${name} must be a string`);
  return value;
}

/** Whole seconds, as the Go service's int64 fields take them: `10`, not `"10"` nor `1.5`. */
export function wholeSecondsField(fields: Fields, name: string): number {
  if (!present(fields, name)) throw new LegacyInputError(`${name} is required`);
  const value = fields[name];
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new LegacyInputError(`${name} must be a whole number of seconds`);
  }
  return value;
}

/** Optional seconds (fractions allowed): `fallback` when absent. */
export function secondsField(fields: Fields, name: string, fallback: number): number {
  if (!present(fields, name)) return fallback;
  const value = fields[name];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new LegacyInputError(`${name} must be a number of seconds`);
  }
  return value;
}

/**
 * The legacy pop's `topic`: one name or several separated by commas, in order
 * of preference. Blanks around names and empty items are dropped, so
 * `"a, b,"` means `["a", "b"]`.
 */
export function topicList(fields: Fields): string[] {
  const topics = stringField(fields, "topic")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (topics.length === 0) throw new LegacyInputError("topic is required");
  return topics;
}
