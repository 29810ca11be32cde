/** The Go service's response envelope. */
export interface LegacyEnvelope {
  code: number;
  message: string;
  data: unknown;
}

/** What {@link legacyCall} got back: the HTTP status and the parsed envelope. */
export interface LegacyAnswer {
  status: number;
  body: LegacyEnvelope;
}

/**
 * POSTs to a legacy route as the Go service's clients do. An object body is
 * sent as JSON; a string or Buffer is sent as is. Headers default to none
 * beyond what fetch adds (text/plain for strings).
 */
export async function legacyCall(
  baseUrl: string,
  path: string,
  body?: unknown,
  init: { method?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<LegacyAnswer> {
  const payload =
    body === undefined || typeof body === "string" || Buffer.isBuffer(body)
      ? body
      : JSON.stringify(body);
  const response = await fetch(new URL(path, baseUrl), {
    method: init.method ?? "POST",
    headers: init.headers,
    body: payload as string | Buffer | undefined,
    signal: init.signal,
  });
  return { status: response.status, body: (await response.json()) as LegacyEnvelope };
}

/** Like {@link legacyCall}, but insists on HTTP 200 and code 0, and returns `data`. */
export async function legacyData(baseUrl: string, path: string, body: unknown): Promise<unknown> {
  const answer = await legacyCall(baseUrl, path, body);
  if (answer.status !== 200 || answer.body.code !== 0) {
    throw new Error(`${path} failed: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.data;
}
