import { readFileSync } from "node:fs";

/** Resident set size of `pid`, bytes (VmRSS in /proc/<pid>/status); 0 when unknown. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

// USER_HZ is 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) `pid` has used so far; 0 when unknown. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may contain spaces, start after ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole box has been busy (all cores, /proc/stat), 0 when unknown. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (s, v) => s + (v ?? 0),
      0,
    );
    return busy / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of processes, sampled before and after a phase; `other` is
 * what the rest of the box used meanwhile (other work on a shared machine).
 */
export class CpuMeter {
  private readonly start: Map<string, number>;

  constructor(private readonly pids: Record<string, number>) {
    this.start = this.read();
  }

  private read(): Map<string, number> {
    const map = new Map<string, number>();
    let ours = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const seconds = cpuSeconds(pid);
      ours += seconds;
      map.set(name, seconds);
    }
    map.set("other", machineBusySeconds() - ours);
    return map;
  }

  /** CPU used per process since construction, as a share of one core over `seconds`. */
  shares(seconds: number): Record<string, number> {
    const now = this.read();
    const out: Record<string, number> = {};
    for (const [name, value] of now) out[name] = (value - (this.start.get(name) ?? 0)) / seconds;
    return out;
  }
}
