import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const run = promisify(execFile);
const redis = withRedis();
const served = withServer(redis);

/** `buf curl` from the @bufbuild/buf package, given no schema: it must use reflection. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    "npx",
    ["--no-install", "buf", "curl", "--http2-prior-knowledge", ...args],
    {
      timeout: 30_000,
    },
  );
  return stdout;
}

describe("buf curl through server reflection", () => {
  for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
    it(`lists the service with ${reflect} reflection`, async () => {
      const out = await bufCurl("--reflect-protocol", reflect, "--list-services", served.url);
      expect(out.split("\n")).toContain("delayqueue.v1.DelayQueueService");
      const methods = await bufCurl("--reflect-protocol", reflect, "--list-methods", served.url);
      expect(methods).toContain("delayqueue.v1.DelayQueueService/Push");
      expect(methods).toContain("delayqueue.v1.DelayQueueService/Pop");
    });
  }

  for (const protocol of ["grpc", "connect", "grpcweb"]) {
    it(`calls Push and Pop over ${protocol} with no schema given`, async () => {
      const id = `buf-${protocol}`;
      const base = `${served.url}/delayqueue.v1.DelayQueueService`;
      const job = { topic: `buf-${protocol}`, id, delay: 0, ttr: 30, body: "from buf curl" };
      const pushed = JSON.parse(
        await bufCurl("--protocol", protocol, "--data", JSON.stringify(job), `${base}/Push`),
      );
      expect(pushed).toHaveProperty("dueTime");
      const popped = JSON.parse(
        await bufCurl(
          "--protocol",
          protocol,
          "--data",
          JSON.stringify({ topics: [job.topic], timeout: 1 }),
          `${base}/Pop`,
        ),
      );
      expect(popped.job).toMatchObject({ id, body: "from buf curl", attempts: 1 });
    });
  }
});
