import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { DelayQueueService, type Job } from "../../gen/delayqueue/v1/delay_queue_pb.js";
import type { GrpcJsClient } from "./grpc-client.js";
import { legacyData } from "./legacy.js";

/** What the protocol scenario pushes; durations in whole seconds, as every way in takes them. */
export interface ScenarioJob {
  topic: string;
  id: string;
  delay: number;
  ttr: number;
  body: string;
}

/** A popped job as every protocol can show it. */
export interface PoppedJob {
  id: string;
  topic: string;
  body: string;
}

/** A stored job as every protocol can show it. */
export interface StoredJob extends PoppedJob {
  ttr: number;
  /** Due time, unix seconds. */
  dueSeconds: number;
}

/** The five calls of the scenario, the same over every protocol. */
export interface ScenarioClient {
  push(job: ScenarioJob): Promise<void>;
  pop(topics: string[], timeoutSeconds: number): Promise<PoppedJob | null>;
  finish(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  get(id: string): Promise<StoredJob | null>;
}

const popped = (job: Job): PoppedJob => ({ id: job.id, topic: job.topic, body: job.body });
const stored = (job: Job): StoredJob => ({
  ...popped(job),
  ttr: job.ttr,
  dueSeconds: job.dueTime ? Math.floor(timestampMs(job.dueTime) / 1000) : 0,
});

/** The scenario over the legacy POST-JSON routes, with plain fetch. */
export function legacyScenarioClient(url: string): ScenarioClient {
  return {
    push: async (job) => void (await legacyData(url, "/push", job)),
    pop: async (topics, timeout) =>
      (await legacyData(url, "/pop", { topic: topics.join(","), timeout })) as PoppedJob | null,
    finish: async (id) => void (await legacyData(url, "/finish", { id })),
    delete: async (id) => void (await legacyData(url, "/delete", { id })),
    get: async (id) => {
      const data = (await legacyData(url, "/get", { id })) as {
        topic: string;
        id: string;
        delay: number;
        ttr: number;
        body: string;
      } | null;
      if (!data) return null;
      return {
        id: data.id,
        topic: data.topic,
        body: data.body,
        ttr: data.ttr,
        dueSeconds: data.delay,
      };
    },
  };
}

/** The five unary calls, as both the Connect client and the grpc-js wrapper offer them. */
type ScenarioCalls = Pick<GrpcJsClient, "push" | "pop" | "finish" | "delete" | "get">;

/** The scenario over any client of the five calls; `isNotFound` reads its error shape. */
function scenarioOver(
  calls: ScenarioCalls,
  isNotFound: (error: unknown) => boolean,
): ScenarioClient {
  return {
    push: async (job) => void (await calls.push(job)),
    pop: async (topics, timeout) => {
      const { job } = await calls.pop({ topics, timeout });
      return job ? popped(job) : null;
    },
    finish: async (id) => void (await calls.finish({ id })),
    delete: async (id) => void (await calls.delete({ id })),
    get: async (id) => {
      try {
        const { job } = await calls.get({ id });
        return job ? stored(job) : null;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
  };
}

/** The scenario over a Connect transport (Connect, gRPC or gRPC-web). */
export function connectScenarioClient(transport: Transport): ScenarioClient {
  return scenarioOver(
    createClient(DelayQueueService, transport),
    (error) => error instanceof ConnectError && error.code === Code.NotFound,
  );
}

/** The scenario over `@grpc/grpc-js`. */
export function grpcJsScenarioClient(client: GrpcJsClient): ScenarioClient {
  const NOT_FOUND = 5;
  return scenarioOver(client, (error) => (error as { code?: number }).code === NOT_FOUND);
}
