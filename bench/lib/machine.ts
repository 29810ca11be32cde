import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { repoRoot } from "./server.js";

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(`${repoRoot}node_modules/${name}/package.json`, "utf8"),
    ) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

/** The box and the software a result came from. */
export function describeMachine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memBytes: totalmem(),
    kernel: run("uname", ["-sr"]),
    node: process.version,
    redisServer: run("redis-server", ["--version"]),
    h2load: run("h2load", ["--version"]).split("\n")[0],
    git: {
      commit: run("git", ["rev-parse", "HEAD"]),
      dirty: run("git", ["status", "--porcelain", "--", "src", "sdk", "gen"]) !== "",
    },
    packages: Object.fromEntries(
      [
        "fastify",
        "ioredis",
        "@connectrpc/connect",
        "@bufbuild/protobuf",
        "bullmq",
        "autocannon",
      ].map((name) => [name, packageVersion(name)]),
    ),
  };
}

/** Raises this process's soft open-files limit to `want` (or the hard limit) with prlimit. */
export function raiseFileLimit(want: number): number {
  const read = () => {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
    const soft = match?.[1] === "unlimited" ? Infinity : Number(match?.[1] ?? 1024);
    const hard = match?.[2] === "unlimited" ? Infinity : Number(match?.[2] ?? 1024);
    return { soft, hard };
  };
  try {
    const { soft, hard } = read();
    if (soft >= want) return soft;
    const target = Math.min(want, hard);
    run("prlimit", [
      "--pid",
      String(process.pid),
      `--nofile=${target}:${hard === Infinity ? target : hard}`,
    ]);
    return read().soft;
  } catch {
    return 0;
  }
}
