/** One line of the result table. Times are ms. */
export interface Row {
  scenario: string;
  case: string;
  rate?: number;
  unit?: string;
  p50?: number;
  p99?: number;
  max?: number;
  /** `rate` (or the figure named in `ratioOf`) as a multiple of a reference in the same run. */
  ratio?: number;
  ratioOf?: string;
  /** The issue's target for this line, and whether this run met it. */
  target?: string;
  met?: boolean;
  notes?: string;
  /** Everything else measured, for the JSON file. */
  data?: Record<string, unknown>;
}

export function fmtRate(rate: number | undefined, unit = ""): string {
  if (rate === undefined || !Number.isFinite(rate)) return "";
  const n = rate >= 100 ? Math.round(rate).toLocaleString("en-US") : rate.toFixed(1);
  return unit ? `${n} ${unit}` : n;
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  if (Math.abs(ms) >= 100) return ms.toFixed(0);
  if (Math.abs(ms) >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

function fmtRatio(row: Row): string {
  if (row.ratio === undefined || !Number.isFinite(row.ratio)) return "";
  const of = row.ratioOf ?? "";
  return of.startsWith("%")
    ? `${(row.ratio * 100).toFixed(0)}% ${of.slice(1)}`.trim()
    : `${row.ratio.toFixed(2)}× ${of}`.trim();
}

function fmtTarget(row: Row): string {
  if (!row.target) return "";
  const mark = row.met === undefined ? "?" : row.met ? "met" : "MISSED";
  return `${row.target}: ${mark}`;
}

/** A Markdown table (pasteable into docs/PERFORMANCE.md), columns padded for the terminal. */
export function renderTable(rows: readonly Row[]): string {
  const header = [
    "scenario",
    "case",
    "rate",
    "p50 ms",
    "p99 ms",
    "max ms",
    "vs",
    "target",
    "notes",
  ];
  const cells = rows.map((row) => [
    row.scenario,
    row.case,
    fmtRate(row.rate, row.unit),
    fmtMs(row.p50),
    fmtMs(row.p99),
    fmtMs(row.max),
    fmtRatio(row),
    fmtTarget(row),
    row.notes ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 && i <= 5 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...cells.map(line)].join("\n");
}

/** The lines that carry a target, as a met/missed list. */
export function renderTargets(rows: readonly Row[]): string {
  const lines = rows
    .filter((row) => row.target)
    .map(
      (row) =>
        `- [${row.met ? "x" : " "}] ${row.scenario} ${row.case}: ${row.target}${row.met === false ? " (missed)" : ""}`,
    );
  return lines.join("\n");
}
