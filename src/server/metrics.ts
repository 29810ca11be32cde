import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { DelayQueue, JobCounts } from "../queue/index.js";

/** GC pause buckets, seconds: fine below 50 ms, where a pause shows as fire lateness. */
const GC_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1];

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event-loop delay and GC pauses of this process. Collected once per process
 * (the GC observer lives as long as it), however many servers it runs.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, gcDurationBuckets: GC_BUCKETS });
  }
  return processRegistry;
}

const EVENTS: readonly (keyof JobCounts)[] = ["pushed", "popped", "finished", "released"];

/** What one queue engine holds and has done in this process, read at each scrape. */
export function queueMetrics(queue: DelayQueue): Registry {
  const registry = new Registry();
  new Gauge({
    name: "delay_queue_parked_pops",
    help: "Pops parked in this process, waiting for a job.",
    registers: [registry],
    collect() {
      this.set(queue.waiting);
    },
  });
  new Gauge({
    name: "delay_queue_long_polls",
    help: "Pops with a timeout running in this process, parked or looking.",
    registers: [registry],
    collect() {
      this.set(queue.longPolls);
    },
  });
  new Gauge({
    name: "delay_queue_long_polls_max",
    help: "The most pops with a timeout this process takes at once (max_waiting_pops).",
    registers: [registry],
    collect() {
      this.set(queue.limits.maxWaitingPops);
    },
  });
  new Counter({
    name: "delay_queue_jobs_total",
    help: "Jobs this process has pushed, handed out (popped), finished and released.",
    labelNames: ["event"],
    registers: [registry],
    collect() {
      // The engine keeps the totals; each scrape copies them.
      this.reset();
      for (const event of EVENTS) this.inc({ event }, queue.counts[event]);
    },
  });
  return registry;
}

/**
 * `GET /metrics` in the Prometheus text format: the process's metrics and the queue's.
 * Open like `/healthz`: it names no topic, job or caller.
 */
export function metricsRoute(app: FastifyInstance, queue: DelayQueue): void {
  const registry = Registry.merge([processMetrics(), queueMetrics(queue)]);
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
