import { type ChildProcess, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createClient } from "../sdk/index.js";
import { cliEnv, repoRoot } from "./harness/cli.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis);

/** Runs `examples/<name>.ts` as a user would, pointed at the file's server by DQ_SERVER. */
function example(name: string): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", `examples/${name}.ts`], {
    cwd: repoRoot,
    env: cliEnv({ DQ_SERVER: dq.url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("close", resolve));
  return { child, output: () => output, exit };
}

describe("examples/", () => {
  it("the consumer handles every job the producer pushed, then stops on SIGTERM", async () => {
    const consumer = example("consumer");
    try {
      await waitUntil(() => consumer.output().includes("consuming emails"), {
        timeoutMs: 20_000,
        message: () => `the consumer to start: ${consumer.output()}`,
      });

      const producer = example("producer");
      expect(await producer.exit, producer.output()).toBe(0);
      const ids = [...producer.output().matchAll(/^pushed (\S+) /gm)].map((m) => m[1] as string);
      expect(ids).toHaveLength(3);

      // The last one is pushed with a 2.5 s delay.
      const handled = () => [...consumer.output().matchAll(/^handled (\S+):/gm)].map((m) => m[1]);
      await waitUntil(() => handled().length === ids.length, {
        timeoutMs: 15_000,
        message: () => `every job handled: ${consumer.output()}`,
      });
      expect(handled().sort()).toEqual([...ids].sort());

      consumer.child.kill("SIGTERM");
      expect(await consumer.exit, consumer.output()).toBe(0);
      expect(consumer.output()).toMatch(/stopped\n$/);
      // Handled means finished: the jobs are gone.
      const client = createClient({ baseUrl: dq.url });
      for (const id of ids) expect(await client.get({ id })).toBeUndefined();
    } finally {
      consumer.child.kill("SIGKILL");
    }
  });
});
