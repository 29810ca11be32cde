import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { repoRoot } from "./harness/cli.js";
import { uniquePrefix, withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

// Builds the package the way `npm run build` does (into a temp dir: a developer's dist/ and
// parallel test files are left alone), packs it with `npm pack`, installs the tarball into a
// scratch project with `npm install --offline` (its dependencies come from the npm cache the
// repo's own install filled) and uses it from there: the SDK from an ESM script and from
// TypeScript, and the `delay-queue` binary for a server and the client commands.

const redis = withRedis();
const dq = withServer(redis);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, killing it after `timeoutMs`. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<Run> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? baseEnv() });
  const result = collect(child);
  child.stdin?.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return result.done.finally(() => clearTimeout(timer));
}

function collect(child: ChildProcess): { done: Promise<Run>; seen: Run } {
  const seen: Run = { code: null, stdout: "", stderr: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    seen.stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const done = new Promise<Run>((resolve) => {
    child.once("close", (code) => resolve({ ...seen, code }));
    // A command that cannot start (not on PATH) never closes.
    child.once("error", (error) => resolve({ ...seen, code: null, stderr: error.message }));
  });
  return { done, seen };
}

/** PATH and HOME (so npm finds its cache and config), and npm's own settings if the runner has them. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/",
  };
  for (const name of ["npm_config_cache", "npm_config_userconfig", "npm_config_registry"]) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

async function ok(pending: Promise<Run>, what: string): Promise<Run> {
  const result = await pending;
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}:\n${result.stderr}\n${result.stdout}`);
  }
  return result;
}

let work: string;
/** The staged package: package.json, README.md and the built dist/. */
let staged: string;
/** The scratch project the tarball is installed into. */
let app: string;
/** Paths inside the tarball, from `npm pack --json`. */
let packed: string[];
/** Why `npm install --offline` failed, when it did: the tests that need it skip. */
let installFailure: string | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "dq-pack-"));
  staged = join(work, "package");
  await ok(
    run(process.execPath, ["scripts/build.mjs", join(staged, "dist")], { cwd: repoRoot }),
    "npm run build",
  );
  for (const file of ["package.json", "README.md"]) {
    await copyFile(join(repoRoot, file), join(staged, file));
  }
  const pack = await ok(
    run("npm", ["pack", "--json", "--pack-destination", work], { cwd: staged }),
    "npm pack",
  );
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${pack.stdout}`);
  packed = info.files.map((file) => file.path);

  app = join(work, "app");
  await mkdir(app);
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  const install = await run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", join(work, info.filename)],
    { cwd: app, timeoutMs: 60_000 },
  );
  if (install.code !== 0) {
    const errors = install.stderr
      .split("\n")
      .filter((line) => /^npm error (code|request)/.test(line));
    installFailure = (errors.length > 0 ? errors : [install.stderr]).join("; ");
  }
}, 90_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function needsInstall(context: TestContext): void {
  if (installFailure) {
    context.skip(
      `npm cannot install the tarball without the network here (${installFailure.trim()}); ` +
        "run `npm ci` once online to fill the npm cache",
    );
  }
}

describe("npm pack", () => {
  it("ships dist/ with declarations for ., ./sdk and ./sdk/web, the Lua scripts and gen/", async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as {
      exports: Record<string, { types: string; import: string }>;
      bin: Record<string, string>;
    };
    const targets = [
      ...Object.values(pkg.exports).flatMap((entry) => [entry.types, entry.import]),
      ...Object.values(pkg.bin),
    ].map((path) => path.replace(/^\.\//, ""));
    expect(targets).toContain("dist/sdk/web.d.ts");
    for (const target of targets) expect(packed).toContain(target);
    expect(packed).toContain("dist/gen/delayqueue/v1/delay_queue_pb.js");
    const scripts = await readdir(join(repoRoot, "src/queue/scripts"), { recursive: true });
    for (const script of scripts.filter((name) => name.endsWith(".lua"))) {
      expect(packed).toContain(`dist/src/queue/scripts/${script}`);
    }
    // Nothing but the build and the package's own files: no sources, tests or source maps.
    const stray = packed.filter(
      (path) =>
        !["package.json", "README.md"].includes(path) &&
        !(path.startsWith("dist/") && /\.(js|d\.ts|lua)$/.test(path)),
    );
    expect(stray).toEqual([]);
    expect(packed.filter((path) => /\.test\.|\.map$/.test(path))).toEqual([]);
  });
});

describe("the installed package, from a scratch project", () => {
  it("imports ./sdk and ./sdk/web in an ESM script and runs a job's life on a real server", async (context) => {
    needsInstall(context);
    await writeFile(
      join(app, "smoke.mjs"),
      `import { consume, createClient } from "delay-queue/sdk";
import { createWebClient } from "delay-queue/sdk/web";

const client = createClient({ baseUrl: process.env.DQ_SERVER });
await client.push({ topic: "pack", id: "pack-1", body: "from the tarball", ttr: 5 });
const job = await client.pop({ topics: ["pack"], timeout: 5 });
const { finished } = await client.finish({ id: job.id, token: job.token });
const web = createWebClient({ baseUrl: process.env.DQ_SERVER });
const gone = (await web.get({ id: "pack-1" })) === undefined;
const root = await import("delay-queue");
console.log(JSON.stringify({
  resolved: import.meta.resolve("delay-queue/sdk"),
  job: { id: job.id, body: job.body, state: job.state },
  finished,
  gone,
  consume: typeof consume,
  createDelayQueue: typeof root.createDelayQueue,
}));
`,
    );
    const result = await ok(
      run(process.execPath, ["smoke.mjs"], { cwd: app, env: baseEnv({ DQ_SERVER: dq.url }) }),
      "node smoke.mjs",
    );
    expect(JSON.parse(result.stdout)).toEqual({
      resolved: `file://${app}/node_modules/delay-queue/dist/sdk/index.js`,
      job: { id: "pack-1", body: "from the tarball", state: "reserved" },
      finished: true,
      gone: true,
      consume: "function",
      createDelayQueue: "function",
    });
  });

  it("type-checks a TypeScript file that imports ./sdk, with the package's declarations", async (context) => {
    needsInstall(context);
    await writeFile(
      join(app, "check.ts"),
      `import { Code, ConnectError, consume, createClient, type Job } from "delay-queue/sdk";
import { createWebClient } from "delay-queue/sdk/web";

const client = createClient({ baseUrl: "http://127.0.0.1:9277", protocol: "grpc", timeoutMs: 1000 });
const job: Job | undefined = await client.pop({ topics: ["a"], timeout: 1 });
const attempts: number = job?.attempts ?? 0;
const consumer = consume(client, { topics: ["a"], handler: async (j: Job) => void j.body.length });
await consumer.stop();
const web = createWebClient({ baseUrl: "https://example.com", protocol: "grpc-web" });
const code: Code = new ConnectError("x", Code.NotFound).code;
export { attempts, code, web };

// The declarations are real types, not \`any\`: each of these must be an error.
// @ts-expect-error no such protocol
createClient({ baseUrl: "http://x", protocol: "http3" });
// @ts-expect-error ttr is required
await client.push({ topic: "a", id: "b" });
// @ts-expect-error browsers cannot speak plain gRPC
createWebClient({ baseUrl: "http://x", protocol: "grpc" });
`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(repoRoot, "node_modules/@types")],
        },
        files: ["check.ts"],
      }),
    );
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("the built delay-queue binary", () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill("SIGTERM");
  });

  /** The installed package's bin, or (npm offline-incapable) the staged build on the repo's node_modules. */
  async function binary(): Promise<string> {
    if (!installFailure) return join(app, "node_modules/.bin/delay-queue");
    await symlink(join(repoRoot, "node_modules"), join(staged, "node_modules")).catch(() => {});
    return join(staged, "dist/src/cli.js");
  }

  it("serves, and runs push, get, pop, finish with the exit codes scripts rely on", async () => {
    const bin = await binary();
    const cli = (args: string, input?: string) =>
      run(process.execPath, [bin, ...args.split(" ")], {
        cwd: work,
        env: baseEnv({ DQ_SERVER: url }),
        input,
        timeoutMs: 20_000,
      });

    // A server from the built package (its Lua scripts included) on the test's Redis.
    server = spawn(
      process.execPath,
      [
        bin,
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--redis",
        redis.server.url,
        "--prefix",
        uniquePrefix("pack"),
      ],
      { cwd: work, env: baseEnv() },
    );
    const serving = collect(server);
    const logs = serving.seen;
    let url = "";
    const deadline = Date.now() + 20_000;
    while (!url) {
      const line = logs.stdout.split("\n").find((l) => l.includes('"delay-queue listening"'));
      if (line) url = String((JSON.parse(line) as { url: string }).url);
      else if (server.exitCode !== null || Date.now() > deadline) {
        throw new Error(`delay-queue serve did not start:\n${logs.stderr}\n${logs.stdout}`);
      } else await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const version = await cli("--version");
    expect(version.stdout.trim()).toBe(
      (JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string })
        .version,
    );

    const pushed = await cli("push --topic built --id b-1 --ttr 30 --body-file -", "payload");
    expect(pushed).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(pushed.stdout)).toMatchObject({ id: "b-1", replaced: false });

    const got = await cli("get --id b-1");
    expect(JSON.parse(got.stdout)).toMatchObject({ id: "b-1", body: "payload", state: "ready" });

    const popped = await cli("pop --topic built --timeout 5 --protocol grpc");
    expect(popped.code).toBe(0);
    const job = JSON.parse(popped.stdout) as { id: string; token: string };
    expect(job).toMatchObject({ id: "b-1", token: expect.any(String) });

    const finished = await cli(`finish --id b-1 --token ${job.token}`);
    expect(finished).toMatchObject({ code: 0, stdout: '{"id":"b-1","finished":true}\n' });

    const gone = await cli("get --id b-1");
    expect(gone).toMatchObject({ code: 3, stdout: "" });
    expect(gone.stderr).toBe('delay-queue get: [not_found] no job with id "b-1"\n');

    const empty = await cli("pop --topic built --timeout 0.2");
    expect(empty).toMatchObject({ code: 4, stdout: "null\n", stderr: "" });

    const bad = await cli("pop --topic built --frobnicate");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^delay-queue pop: Unknown option '--frobnicate'/);

    const unknown = await cli("release --id b-1");
    expect(unknown.code).toBe(3);

    server.kill("SIGTERM");
    expect((await serving.done).code).toBe(0);
    server = undefined;
  }, 60_000);
});
