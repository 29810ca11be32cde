import { afterAll } from "vitest";
import { createDelayQueue, type DelayQueue, type DelayQueueOptions } from "../../src/index.js";
import { uniquePrefix } from "./prefix.js";
import type { WithRedis } from "./with-redis.js";

/**
 * Opens an engine on the file's Redis with a fresh prefix (unless one is
 * given); every queue opened this way is closed after the file's tests.
 */
export function queueFactory(
  redis: WithRedis,
): (options?: DelayQueueOptions) => Promise<DelayQueue> {
  const opened: DelayQueue[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((queue) => queue.close()));
  });
  return async (options = {}) => {
    const queue = await createDelayQueue({
      connection: redis.server.url,
      prefix: uniquePrefix(),
      ...options,
    });
    opened.push(queue);
    return queue;
  };
}
