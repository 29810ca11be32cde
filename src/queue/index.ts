export type { DelayQueue, DelayQueueOptions } from "./api.js";
export type { QueueErrorKind } from "./errors.js";
export {
  InvalidArgumentError,
  JobExistsError,
  QueueClosedError,
  QueueError,
  TooManyWaitingPopsError,
} from "./errors.js";
export type { JobCounts } from "./job-counts.js";
export { notifyChannel, shardKeys } from "./keys.js";
export type { Limits } from "./limits.js";
export { defaultLimits } from "./limits.js";
export { createDelayQueue } from "./queue.js";
export { shardOf } from "./shard.js";
export type {
  FinishInput,
  Job,
  JobState,
  PopOptions,
  PushInput,
  PushManyResult,
  PushResult,
  ReservedJob,
  SettleResult,
  StopSignal,
} from "./types.js";
