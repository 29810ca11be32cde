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

function legacyCall(path: string, body: object): Promise<{ code: number; data?: unknown }> {
  return fetch(new URL(path, dq.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then((r) => r.json() as Promise<{ code: number; data?: unknown }>);
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

  it("counts jobs pushed, popped and finished, whichever way they came in", async () => {
    const count = (text: string, event: string) =>
      sample(text, `delay_queue_jobs_total{event="${event}"}`) ?? 0;
    const before = (await scrape()).text;
    const topic = `metrics-jobs-${Date.now()}`;
    for (const id of ["j1", "j2"]) {
      const pushed = await legacyCall("/push", { topic, id, body: "x", delay: 0, ttr: 30 });
      expect(pushed.code).toBe(0);
    }
    const popped = (await legacyCall("/pop", { topic, timeout: 1 })) as {
      code: number;
      data: { id: string };
    };
    expect(popped.code).toBe(0);
    expect((await legacyCall("/finish", { id: popped.data.id })).code).toBe(0);
    const after = (await scrape()).text;
    expect(count(after, "pushed") - count(before, "pushed")).toBe(2);
    expect(count(after, "popped") - count(before, "popped")).toBe(1);
    expect(count(after, "finished") - count(before, "finished")).toBe(1);
    expect(count(after, "released") - count(before, "released")).toBe(0);
  });
});
