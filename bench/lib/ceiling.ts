import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stopChild, track } from "./children.js";
import { HOST } from "./net.js";

/** The bare-route ceiling process (ceiling-server.ts). */
export interface Ceiling {
  /** Bare fastify, HTTP/1.1: `/push`, `/pop`, `/finish`, Connect `Push`. */
  readonly h1Url: string;
  /** Bare `node:http2`: any gRPC call. */
  readonly h2Url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startCeiling(): Promise<Ceiling> {
  const script = fileURLToPath(new URL("./ceiling-server.ts", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  track(child);
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve(text);
    });
    child.once("exit", (code) => reject(new Error(`the ceiling server exited (${code})`)));
  });
  const [, h1, h2] = line.trim().split(" ");
  return {
    h1Url: `http://${HOST}:${h1}`,
    h2Url: `http://${HOST}:${h2}`,
    pid: child.pid ?? 0,
    stop: () => stopChild(child),
  };
}
