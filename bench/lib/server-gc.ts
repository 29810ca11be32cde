/**
 * The server's GC pauses over a window, from its `GET /metrics`
 * (`nodejs_gc_duration_seconds`, a histogram by kind): how many full GCs
 * landed in a lateness row's firing and how long they were, so that the
 * row's tail can be read beside them.
 */

/** One kind's histogram: cumulative counts by upper bound (seconds), count and sum. */
export interface GcHistogram {
  buckets: Map<number, number>;
  count: number;
  sumS: number;
}

export type GcSnapshot = Map<string, GcHistogram>;

const SAMPLE = /^nodejs_gc_duration_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$/;

/** Parses the GC histogram out of a Prometheus text answer. */
export function parseGc(text: string): GcSnapshot {
  const kinds: GcSnapshot = new Map();
  for (const line of text.split("\n")) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, part, labelText = "", valueText = ""] = match;
    const labels = new Map(
      [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    const kind = labels.get("kind") ?? "";
    let histogram = kinds.get(kind);
    if (!histogram) {
      histogram = { buckets: new Map(), count: 0, sumS: 0 };
      kinds.set(kind, histogram);
    }
    const value = Number(valueText);
    if (part === "count") histogram.count = value;
    else if (part === "sum") histogram.sumS = value;
    else {
      const le = labels.get("le");
      histogram.buckets.set(le === "+Inf" ? Infinity : Number(le), value);
    }
  }
  return kinds;
}

/** A snapshot as plain data for a result file. */
export function gcJson(snapshot: GcSnapshot | undefined) {
  if (!snapshot) return undefined;
  return Object.fromEntries(
    [...snapshot].map(([kind, h]) => [
      kind,
      { count: h.count, sumS: h.sumS, buckets: Object.fromEntries(h.buckets) },
    ]),
  );
}

/** Reads the server's GC histogram; undefined when it has no `/metrics`. */
export async function readServerGc(baseUrl: string): Promise<GcSnapshot | undefined> {
  try {
    const response = await fetch(new URL("/metrics", baseUrl));
    if (!response.ok) return undefined;
    return parseGc(await response.text());
  } catch {
    return undefined;
  }
}

/** What one kind of GC did between two snapshots. */
export interface GcWindow {
  count: number;
  totalMs: number;
  /** The smallest bucket bound that holds every pause of the window, ms (Infinity past the last). */
  longestAtMostMs: number;
  /** Pauses over 10 ms. */
  over10Ms: number;
}

const NONE: GcHistogram = { buckets: new Map(), count: 0, sumS: 0 };

/** What `kind` did from `before` to `after`; a kind neither holds did nothing. */
export function gcBetween(before: GcSnapshot, after: GcSnapshot, kind: string): GcWindow {
  const a = after.get(kind) ?? NONE;
  const b = before.get(kind) ?? NONE;
  const count = a.count - b.count;
  const delta = (le: number) => (a.buckets.get(le) ?? 0) - (b.buckets.get(le) ?? 0);
  const bounds = [...a.buckets.keys()].filter(Number.isFinite).sort((x, y) => x - y);
  const holding = bounds.find((le) => delta(le) >= count);
  return {
    count,
    totalMs: (a.sumS - b.sumS) * 1000,
    longestAtMostMs: count === 0 ? 0 : holding === undefined ? Infinity : holding * 1000,
    over10Ms: count - delta(0.01),
  };
}

/** The row's note: the server's full GCs (V8's mark-compact) while its jobs fell due. */
export function gcNote(before?: GcSnapshot, after?: GcSnapshot): string | undefined {
  if (!before || !after) return undefined;
  const major = gcBetween(before, after, "major");
  if (major.count === 0) return "server full GCs while firing: 0";
  const longest = Number.isFinite(major.longestAtMostMs)
    ? `longest ≤ ${major.longestAtMostMs} ms`
    : "longest over the last bucket";
  return `server full GCs while firing: ${major.count} (${major.over10Ms} over 10 ms, ${longest}, ${major.totalMs.toFixed(1)} ms in all)`;
}
