import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  top: SelfTime[];
  /** Self time by package (node_modules/<pkg>), `node:` internals, our code, GC and natives. */
  byArea: SelfTime[];
}

function where(url: string, line: number): string {
  if (!url) return "";
  const short = url.replace(/^file:\/\//, "").replace(/^.*?node_modules\//, "");
  const repo = short.replace(/^.*?\/(dist|src|gen|sdk)\//, "$1/");
  return `${repo}:${line + 1}`;
}

function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === "(garbage collector)") return "(gc)";
    if (functionName === "(program)") return "(program: native/V8)";
    return `(${functionName.replace(/[()]/g, "") || "native"})`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const ours = /\/(dist\/)?(src\/[^/]+|gen|sdk)\//.exec(url)?.[2];
  return ours ?? url;
}

/** Self time per function and per area from a V8 `.cpuprofile`. */
export function summarizeProfile(file: string, topN = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fns = new Map<string, SelfTime>();
  const areas = new Map<string, SelfTime>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    if (node.callFrame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    const name = node.callFrame.functionName || "(anonymous)";
    const at = where(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${name} ${at}`;
    const fn = fns.get(key) ?? { name, where: at, ms: 0, share: 0 };
    fn.ms += us / 1000;
    fns.set(key, fn);
    const a = area(node);
    const ar = areas.get(a) ?? { name: a, where: "", ms: 0, share: 0 };
    ar.ms += us / 1000;
    areas.set(a, ar);
  }
  const busyMs = (total - idle) / 1000;
  const finish = (list: SelfTime[]) =>
    list.map((t) => ({ ...t, share: busyMs > 0 ? t.ms / busyMs : 0 })).sort((a, b) => b.ms - a.ms);
  return {
    file,
    totalMs: total / 1000,
    busyMs,
    top: finish([...fns.values()]).slice(0, topN),
    byArea: finish([...areas.values()]).slice(0, topN),
  };
}

export function renderProfile(summary: ProfileSummary): string {
  const pct = (t: SelfTime) => `${(t.share * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `CPU profile of the server: ${(summary.busyMs / 1000).toFixed(1)} s busy of ${(summary.totalMs / 1000).toFixed(1)} s`,
    "",
    "Self time by area:",
    ...summary.byArea.slice(0, 15).map((t) => `  ${pct(t)}  ${t.name}`),
    "",
    "Top self-time functions:",
    ...summary.top.map((t) => `  ${pct(t)}  ${t.name}  ${t.where}`),
  ];
  return lines.join("\n");
}
