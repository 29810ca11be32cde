import { type Job, type Processor, Queue, Worker } from "bullmq";
import { type BenchContext, BULL_DB } from "./context.js";

/** BullMQ on the bench's Redis (its own database), one queue per use. */
export interface BullPeer {
  readonly queue: Queue;
  /** Starts a worker; closed by `close()`. */
  worker(processor: Processor, concurrency: number): Worker;
  close(): Promise<void>;
}

/** Job options every peer job gets: removed when done, as a finished delay-queue job is. */
export const bullJobOptions = { removeOnComplete: true, removeOnFail: true } as const;

export function bullPeer(ctx: BenchContext, name: string): BullPeer {
  const connection = {
    host: ctx.redis.host,
    port: ctx.redis.port,
    db: BULL_DB,
    maxRetriesPerRequest: null,
  };
  const queue = new Queue(name, { connection });
  const workers: Worker[] = [];
  return {
    queue,
    worker(processor, concurrency) {
      const worker = new Worker(name, processor, { connection, concurrency });
      worker.on("error", () => {});
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(true)));
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    },
  };
}

export type { Job };
