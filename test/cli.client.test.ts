import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/commands/index.js";
import { readEnv } from "../src/config/env.js";
import { withRedis } from "./harness/index.js";
import { freePort } from "./harness/loopback.js";
import { startTestServer, withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON. */
  json: unknown;
}

/** Runs `delay-queue args` in this process against the file's server (unless env says otherwise). */
async function cli(
  args: string,
  { env = {}, stdin = "" }: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args.split(" ").filter(Boolean), {
    env: { DQ_SERVER: dq.url, ...env },
    cwd: dir,
    stdout: (line) => out.push(`${line}\n`),
    stderr: (line) => err.push(`${line}\n`),
    readStdin: async () => stdin,
  });
  const stdout = out.join("");
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {}
  return { code, stdout, stderr: err.join(""), json };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dq-cli-client-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the client commands", () => {
  it("push, get, pop and finish a job, each printing one line of JSON and exiting 0", async () => {
    const pushed = await cli("push --topic mail --id m-1 --ttr 30 --delay 0 --body hello");
    expect(pushed).toMatchObject({ code: 0, stderr: "" });
    expect(pushed.stdout.trim().split("\n")).toHaveLength(1);
    expect(pushed.json).toMatchObject({ id: "m-1", topic: "mail", replaced: false });

    const got = await cli("get --id m-1");
    expect(got.json).toMatchObject({ id: "m-1", topic: "mail", body: "hello", state: "ready" });

    const popped = await cli("pop --topic mail");
    expect(popped.code).toBe(0);
    const job = popped.json as { id: string; token: string; state: string; attempts: number };
    expect(job).toMatchObject({ id: "m-1", state: "reserved", attempts: 1 });
    expect(job.token).toEqual(expect.any(String));

    const finished = await cli(`finish --id m-1 --token ${job.token}`);
    expect(finished).toMatchObject({ code: 0, json: { id: "m-1", finished: true } });
    const gone = await cli("get --id m-1");
    expect(gone).toMatchObject({ code: 3, stdout: "" });
    expect(gone.stderr).toBe('delay-queue get: [not_found] no job with id "m-1"\n');
  });

  it.each(["connect", "grpc", "grpc-web"])("push and pop over --protocol %s", async (protocol) => {
    const id = `p-${protocol}`;
    const via = `--protocol ${protocol}`;
    expect((await cli(`push --topic proto-${protocol} --id ${id} --ttr 5 ${via}`)).code).toBe(0);
    const popped = await cli(`pop --topic proto-${protocol} ${via}`);
    expect(popped).toMatchObject({ code: 0, json: { id } });
    expect((await cli(`delete --id ${id} ${via}`)).json).toEqual({ id, deleted: true });
  });

  it("exit 4 and print null when pop waits its --timeout and no job comes", async () => {
    const started = Date.now();
    const popped = await cli("pop --topic empty --timeout 0.3");
    expect(popped).toEqual({ code: 4, stdout: "null\n", stderr: "", json: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("pop the first topic that has a job, topics given with commas or repeated", async () => {
    await cli("push --topic second --id t-2 --ttr 5");
    await cli("push --topic first --id t-1 --ttr 5");
    expect((await cli("pop --topic none,first --topic second")).json).toMatchObject({ id: "t-1" });
    expect((await cli("pop --topic none,first --topic second")).json).toMatchObject({ id: "t-2" });
  });

  it("exit 3 for get and release of an unknown id; finish and delete of one are idempotent", async () => {
    expect((await cli("get --id nobody")).code).toBe(3);
    const released = await cli("release --id nobody");
    expect(released.code).toBe(3);
    expect(released.stderr).toContain("[not_found]");
    expect(await cli("finish --id nobody")).toMatchObject({
      code: 0,
      json: { id: "nobody", finished: false },
    });
    expect(await cli("delete --id nobody")).toMatchObject({
      code: 0,
      json: { id: "nobody", deleted: false },
    });
  });

  it("exit 5 for push --if-absent of an existing id and release of a job not reserved", async () => {
    expect((await cli("push --topic c --id c-1 --ttr 5 --if-absent")).code).toBe(0);
    const again = await cli("push --topic c --id c-1 --ttr 5 --if-absent --body other");
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("[already_exists]");
    expect((await cli("get --id c-1")).json).toMatchObject({ body: "" });
    expect((await cli("release --id c-1")).code).toBe(5);
    expect((await cli("push --topic c --id c-1 --ttr 5 --body new")).json).toMatchObject({
      replaced: true,
    });
  });

  it("release a popped job with --delay: it is delayed, then ready again", async () => {
    await cli("push --topic rel --id r-1 --ttr 30");
    const { token } = (await cli("pop --topic rel")).json as { token: string };
    const released = await cli(`release --id r-1 --token ${token} --delay 0.5`);
    expect(released).toMatchObject({ code: 0, json: { id: "r-1", released: true } });
    expect((await cli("get --id r-1")).json).toMatchObject({ state: "delayed", attempts: 1 });
    const popped = await cli("pop --topic rel --timeout 5");
    expect(popped.json).toMatchObject({ id: "r-1", attempts: 2 });
  });

  it("read the body from --body-file, and from stdin with --body-file -", async () => {
    await writeFile(join(dir, "body.json"), '{"to":"a@example.com"}\n');
    await cli("push --topic files --id f-1 --ttr 5 --body-file body.json");
    expect((await cli("get --id f-1")).json).toMatchObject({ body: '{"to":"a@example.com"}\n' });
    await cli("push --topic files --id f-2 --ttr 5 --body-file -", { stdin: "from stdin" });
    expect((await cli("get --id f-2")).json).toMatchObject({ body: "from stdin" });
  });

  it("give a job pushed without --id a random UUID, and take fractional seconds", async () => {
    const pushed = await cli("push --topic uuid --ttr 1.5 --delay 0.25");
    const { id } = pushed.json as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await cli(`get --id ${id}`)).json).toMatchObject({ delay: 0.25, ttr: 1.5 });
  });

  it.each([
    ["an unknown flag", "pop --topic a --frobnicate", /Unknown option '--frobnicate'/],
    ["a stray argument", "get --id a b", /Unexpected argument 'b'/],
    ["a missing --topic", "pop", /--topic is required/],
    ["a missing --ttr", "push --topic a", /--ttr is required/],
    ["a missing --id", "finish --token 1", /--id is required/],
    ["a bad number", "push --topic a --ttr soon", /--ttr "soon": expected seconds/],
    ["a negative delay", "release --id a --delay=-1", /--delay "-1": expected seconds/],
    ["a value that looks like a flag", "release --id a --delay -1", /use '--delay=-XYZ'/],
    ["--body with --body-file", "push --topic a --ttr 1 --body x --body-file -", /not both/],
    ["a missing body file", "push --topic a --ttr 1 --body-file nope.txt", /ENOENT/],
    ["an unknown protocol", "get --id a --protocol http3", /--protocol "http3": expected/],
    ["a server that is no URL", "get --id a --server 127.0.0.1:9277", /expected an http/],
    ["a bad --timeout-ms", "get --id a --timeout-ms 1.5", /--timeout-ms "1.5": expected a whole/],
  ])("exit 2 before any call for %s", async (_name, args, message) => {
    // Nothing listens there: a call would exit 1, not 2.
    const env = { DQ_SERVER: `http://127.0.0.1:${await freePort()}` };
    const result = await cli(args, { env });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`see delay-queue ${args.split(" ")[0]} --help`);
  });

  it("exit 2 when the server refuses the input as invalid", async () => {
    const result = await cli("push --topic bad/topic --ttr 1");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^delay-queue push: \[invalid_argument\] topic "bad\/topic"/);
  });

  it("exit 1, naming the server, when nothing listens there", async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const result = await cli(`get --id a --server ${server}`);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^delay-queue get: \[unavailable\] .*ECONNREFUSED/);
    expect(result.stderr).toContain(`is the server running at ${server}?`);
  });

  it("exit 1 when the server does not answer within --timeout-ms", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const result = await cli(`get --id a --server http://127.0.0.1:${port} --timeout-ms 300`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("[deadline_exceeded]");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("--server wins over DQ_SERVER", async () => {
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const result = await cli(`push --topic s --id s-1 --ttr 1 --server ${dq.url}`, {
      env: { DQ_SERVER: elsewhere },
    });
    expect(result.code).toBe(0);
  });

  it("print each command's flags with --help, and the exit codes with delay-queue --help", async () => {
    for (const name of ["push", "pop", "finish", "release", "delete", "get"]) {
      const help = await cli(`${name} --help`);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: delay-queue ${name} `);
      expect(help.stdout).toContain("--server URL");
    }
    const top = await cli("--help");
    expect(top.stdout).toContain("push     push a job");
    expect(top.stdout).toMatch(/Exit codes:\n {2}0 {2}done\n {2}1 {2}failed/);
    expect(top.stdout).toContain("4  no job: pop waited --timeout seconds and none came");
  });
});

describe("the client commands against a server with auth tokens", () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const server = await startTestServer(redis, { authTokens: ["s3cret"] });
    url = server.url;
    close = () => server.close();
  });
  afterAll(() => close());

  it("send the bearer token from DQ_TOKEN or --auth-token, and exit 1 without one", async () => {
    const refused = await cli("get --id a", { env: { DQ_SERVER: url } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[unauthenticated]");
    expect(refused.stderr).toContain("set DQ_TOKEN");
    const viaEnv = await cli("push --topic auth --id a --ttr 1", {
      env: { DQ_SERVER: url, DQ_TOKEN: "s3cret" },
    });
    expect(viaEnv.code).toBe(0);
    const viaFlag = await cli("get --id a --auth-token s3cret", { env: { DQ_SERVER: url } });
    expect(viaFlag).toMatchObject({ code: 0, json: { id: "a" } });
  });
});

describe("serve", () => {
  it("knows DQ_SERVER and DQ_TOKEN, so a shell set up for the client commands starts it quietly", () => {
    expect(readEnv({ DQ_SERVER: "http://x:1", DQ_TOKEN: "t", DQ_OTHER: "1" }).notices).toEqual([
      { level: "warn", msg: "unknown environment variable DQ_OTHER ignored" },
    ]);
  });
});
