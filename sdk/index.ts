/**
 * The delay-queue SDK for Node: a typed client over Connect, gRPC or
 * gRPC-web, and a consumer. Browsers import `./web.js` instead.
 * @packageDocumentation
 */

export { Code, ConnectError } from "@connectrpc/connect";
export type { BackoffOptions } from "./backoff.js";
export { createClient } from "./client.js";
export type { Consumer, ConsumerOptions, HandlerContext, JobHandler } from "./consumer.js";
export { consume } from "./consumer.js";
export type { DelayQueueClient, RawClient } from "./core.js";
export type { BaseClientOptions, ClientOptions, WebClientOptions } from "./options.js";
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
