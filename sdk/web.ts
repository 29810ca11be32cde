/**
 * The delay-queue SDK for browsers (or any runtime with `fetch`): a typed
 * client over Connect or gRPC-web, and a consumer. Nothing here needs Node.
 * @packageDocumentation
 */

export { Code, ConnectError } from "@connectrpc/connect";
export type { BackoffOptions } from "./backoff.js";
export type { Consumer, ConsumerOptions, HandlerContext, JobHandler } from "./consumer.js";
export { consume } from "./consumer.js";
export type { DelayQueueClient, RawClient } from "./core.js";
export type { BaseClientOptions, WebClientOptions } from "./options.js";
export type {
  CallOptions,
  DeleteInput,
  DeleteResult,
  FinishInput,
  FinishResult,
  GetInput,
  HeadersInit,
  Job,
  JobState,
  PopBatchInput,
  PopInput,
  PushBatchResult,
  PushInput,
  PushResult,
  ReleaseInput,
} from "./types.js";
export { createWebClient } from "./web-client.js";
