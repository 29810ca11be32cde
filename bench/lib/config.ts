/** Every knob of a bench run: flags win over `BENCH_*` env, which wins over the defaults. */
export interface BenchConfig {
  quick: boolean;
  /** Scenarios to run; all when empty. */
  only: string[];
  /** Protocols for the push, drain and mixed scenarios. */
  protocols: Protocol[];
  /** Push concurrency levels. */
  concurrency: number[];
  /** Body size of every job, bytes. */
  bodyBytes: number;
  /** Length of each timed round of a load point (push, scale), ms. */
  durationMs: number;
  /** Rounds per push point, server and ceiling alternating; the median-ratio round is reported. */
  rounds: number;
  /** Budget for waiting until other processes leave the box quiet, ms, for the whole run. */
  quietWaitMs: number;
  /** Unrecorded load before each protocol's first point, ms. */
  warmupMs: number;
  /** Jobs of the drain scenario. */
  jobs: number;
  /** Consumers of the drain and mixed scenarios. */
  consumers: number;
  /** Length of the mixed steady state, ms, and the rate producers offer, jobs/s. */
  mixedMs: number;
  mixedRate: number;
  /** Jobs of the fire-lateness scenario, and the time their due times spread over. */
  lateJobs: number;
  lateSpreadMs: number;
  /** Parked pollers of the lateness scenario. */
  pollers: number;
  /** Pending delayed jobs of the scale scenario (the large point; the small one is 10k). */
  pending: number;
  /** Parked long-polls of the long-poll scenario, and how long they are watched, ms. */
  longPolls: number;
  longPollWatchMs: number;
  /** Jobs whose whole life the round-trip scenario records. */
  lifeJobs: number;
  /** Shards of the server (DQ_BUCKET_SIZE). */
  shards: number;
  aof: boolean;
  entry: "dist" | "tsx";
  /** Run the push scenario against a server started with --cpu-prof, and summarize. */
  cpuProf: boolean;
  /** Run the BullMQ peer. */
  bullmq: boolean;
  /** Extra node flags for the server process, e.g. `--trace-gc --max-semi-space-size=32`. */
  serverNodeArgs: string[];
  /** Append the server's stdout and stderr to this file. */
  serverLog: string | undefined;
}

export const scenarioNames = [
  "push",
  "batch",
  "drain",
  "mixed",
  "lateness",
  "scale",
  "longpoll",
  "roundtrips",
] as const;

export type Protocol = "legacy" | "connect" | "grpc";
const protocolNames: readonly Protocol[] = ["legacy", "connect", "grpc"];

export const usage = `Usage: npm run bench -- [options]

  --quick                 small counts, whole run under a minute (BENCH_QUICK=1)
  --only a,b              scenarios: ${scenarioNames.join(", ")} (BENCH_ONLY)
  --protocols a,b         legacy, connect, grpc (BENCH_PROTOCOLS)
  --concurrency 1,16,64   push concurrency levels (BENCH_CONCURRENCY)
  --body N                job body bytes, default 100 (BENCH_BODY)
  --duration S            seconds per timed round, default 3 (BENCH_DURATION)
  --rounds N              rounds per push point, server and ceiling alternating, default 3 (BENCH_ROUNDS)
  --quiet-wait S          total seconds the run may wait for other processes to quiet down,
                          default 180, quick 0 (BENCH_QUIET_WAIT)
  --jobs N                drain jobs, default 20000 (BENCH_JOBS)
  --consumers N           drain/mixed consumers, default 64 (BENCH_CONSUMERS)
  --mixed S               mixed steady state seconds, default 10 (BENCH_MIXED)
  --mixed-rate N          jobs/s the mixed producers offer, default 1000 (BENCH_MIXED_RATE)
  --late-jobs N           lateness jobs, default 10000 (BENCH_LATE_JOBS)
  --late-spread S         lateness due-time spread, seconds, default 10 (BENCH_LATE_SPREAD)
  --pending N             scale: pending jobs at the large point, default 1000000 (BENCH_PENDING)
  --long-polls N          parked long-polls, default 10000 (BENCH_LONG_POLLS)
  --shards N              server shards (DQ_BUCKET_SIZE), default 3 (BENCH_SHARDS)
  --aof                   Redis with appendonly yes, appendfsync everysec (BENCH_AOF=1)
  --tsx                   run the server from src/ with tsx instead of dist/ (BENCH_TSX=1)
  --cpu-prof              profile the server (--cpu-prof) during the first scenario run
  --no-bullmq             skip the BullMQ peer (BENCH_NO_BULLMQ=1)
  --server-node-args "A"  extra node flags for the server, space-separated (BENCH_SERVER_NODE_ARGS)
  --server-log FILE       append the server's output to FILE (BENCH_SERVER_LOG)
  -h, --help
`;

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h" || arg === "--help") flags.set("help", "1");
    else if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}\n\n${usage}`);
    else {
      const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
      const boolean = ["quick", "aof", "tsx", "cpu-prof", "no-bullmq"].includes(name);
      if (boolean) flags.set(name, inline ?? "1");
      else {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new Error(`--${name} needs a value\n\n${usage}`);
        flags.set(name, value);
      }
    }
  }
  if (flags.has("help")) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const known = new Set([
    "quick",
    "only",
    "protocols",
    "concurrency",
    "body",
    "duration",
    "rounds",
    "quiet-wait",
    "jobs",
    "consumers",
    "mixed",
    "mixed-rate",
    "late-jobs",
    "late-spread",
    "pending",
    "long-polls",
    "shards",
    "aof",
    "tsx",
    "cpu-prof",
    "no-bullmq",
    "server-node-args",
    "server-log",
  ]);
  for (const name of flags.keys()) {
    if (!known.has(name)) throw new Error(`unknown option --${name}\n\n${usage}`);
  }
  const get = (flag: string): string | undefined =>
    flags.get(flag) ?? env[`BENCH_${flag.toUpperCase().replaceAll("-", "_")}`];
  const on = (flag: string) => {
    const value = get(flag);
    return value !== undefined && value !== "0" && value !== "" && value !== "false";
  };
  const num = (flag: string, full: number, quick: number, min = Number.MIN_VALUE) => {
    const value = get(flag);
    if (value === undefined) return quickMode ? quick : full;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number >= ${min}`);
    return n;
  };
  const list = (flag: string, fallback: string[]) =>
    (get(flag) ?? fallback.join(","))
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const quickMode = on("quick");
  const only = list("only", []);
  for (const name of only) {
    if (!(scenarioNames as readonly string[]).includes(name)) {
      throw new Error(`unknown scenario "${name}": one of ${scenarioNames.join(", ")}`);
    }
  }
  const protocols = list("protocols", [...protocolNames]) as Protocol[];
  for (const p of protocols) {
    if (!protocolNames.includes(p)) throw new Error(`unknown protocol "${p}"`);
  }
  const concurrency = list("concurrency", quickMode ? ["16"] : ["1", "16", "64"]).map(Number);
  return {
    quick: quickMode,
    only,
    protocols,
    concurrency,
    bodyBytes: num("body", 100, 100),
    durationMs: num("duration", 3, 0.5) * 1000,
    rounds: num("rounds", 3, 1),
    quietWaitMs: num("quiet-wait", 180, 0, 0) * 1000,
    warmupMs: quickMode ? 200 : 1500,
    jobs: num("jobs", 20_000, 1_000),
    consumers: num("consumers", 64, 16),
    mixedMs: num("mixed", 10, 1) * 1000,
    mixedRate: num("mixed-rate", 1000, 300),
    lateJobs: num("late-jobs", 10_000, 500),
    lateSpreadMs: num("late-spread", 10, 1.5) * 1000,
    pollers: 64,
    pending: num("pending", 1_000_000, 20_000),
    longPolls: num("long-polls", 10_000, 500),
    longPollWatchMs: quickMode ? 1_000 : 10_000,
    lifeJobs: quickMode ? 100 : 2_000,
    shards: num("shards", 3, 3),
    aof: on("aof"),
    entry: on("tsx") ? "tsx" : "dist",
    cpuProf: on("cpu-prof"),
    bullmq: !on("no-bullmq"),
    serverNodeArgs: (get("server-node-args") ?? "").split(" ").filter((s) => s !== ""),
    serverLog: get("server-log") || undefined,
  };
}
