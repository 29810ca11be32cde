import { describe, expect, it } from "vitest";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";

const redis = withRedis();
const dq = withServer(redis, { queue: { limits: { maxWaitingPops: 50 } } });

async function scrape(): Promise<{ type: string | null; text: string }> {
  const response = await fetch(new URL("/metrics", dq.url));
  expect(response.status).toBe(200);
  return { type: response.headers.get("content-type"), text: await response.text() };
}

/** The value of an unlabelled sample, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

function legacyPop(topic: string): Promise<unknown> {
  return fetch(new URL("/pop", dq.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ topic }),
  }).then((r) => r.json());
}

describe("GET /metrics", () => {
  it("answers in the Prometheus text format with the process's metrics and GC pauses", async () => {
    const { type, text } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(text).toContain("# TYPE nodejs_gc_duration_seconds histogram");
    expect(text).toContain("# TYPE nodejs_eventloop_lag_p99_seconds gauge");
    expect(sample(text, "delay_queue_long_polls_max")).toBe(50);
  });

  it("counts parked pops while they wait, and none once they end", async () => {
    const topic = `metrics-${Date.now()}`;
    const pops = [legacyPop(topic), legacyPop(topic), legacyPop(topic)];
    let parked: number | undefined;
    for (let i = 0; i < 50 && parked !== 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      parked = sample((await scrape()).text, "delay_queue_parked_pops");
    }
    expect(parked).toBe(3);
    expect(sample((await scrape()).text, "delay_queue_long_polls")).toBe(3);
    // The harness's legacy pop waits 1 s, then answers "no job".
    await Promise.all(pops);
    const after = (await scrape()).text;
    expect(sample(after, "delay_queue_parked_pops")).toBe(0);
    expect(sample(after, "delay_queue_long_polls")).toBe(0);
  });
});
