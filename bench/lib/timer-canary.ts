/**
 * The box's own floor for firing on time: a bare Node process that does
 * nothing but wait for the same kind of schedule (N due times at random over
 * the spread, one timer armed for the next, as the scheduler arms its own)
 * and notes how late each due time was seen. Run beside a lateness run, it
 * shows how much of the tail any process on this box would get, whatever it
 * does: a late timer here is the CPU being elsewhere, not the queue.
 */
import { spawn } from "node:child_process";
import { track } from "./children.js";
import { type Summary, summarize } from "./stats.js";

/** Plain JavaScript, so the canary loads nothing but Node itself. */
const script = `
const [start, spread, n] = process.argv.slice(1).map(Number);
const due = Array.from({ length: n }, () => start + Math.random() * spread).sort((a, b) => a - b);
const now = () => performance.timeOrigin + performance.now();
const late = [];
let i = 0;
const fire = () => {
  const t = now();
  while (i < n && due[i] <= t) late.push(t - due[i++]);
  if (i < n) setTimeout(fire, Math.max(0, Math.ceil(due[i] - now())));
  else process.stdout.write(JSON.stringify(late));
};
fire();
`;

export interface TimerCanary {
  /** How late the canary saw its due times, ms; resolves once the last one has passed. */
  result(): Promise<Summary>;
}

/** Starts a canary for `n` due times over `[startEpochMs, startEpochMs + spreadMs)`. */
export function startTimerCanary(startEpochMs: number, spreadMs: number, n: number): TimerCanary {
  const child = spawn(
    process.execPath,
    ["-e", script, String(startEpochMs), String(spreadMs), String(n)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  track(child);
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Summary>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`timer canary exited with ${code}`));
      resolve(summarize(JSON.parse(Buffer.concat(chunks).toString()) as number[]));
    });
  });
  return { result: () => done };
}
