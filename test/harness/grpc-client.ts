import type { Message } from "@bufbuild/protobuf";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import {
  DelayQueueService,
  type DeleteRequest,
  DeleteRequestSchema,
  type DeleteResponse,
  DeleteResponseSchema,
  type FinishRequest,
  FinishRequestSchema,
  type FinishResponse,
  FinishResponseSchema,
  type GetRequest,
  GetRequestSchema,
  type GetResponse,
  GetResponseSchema,
  type PopRequest,
  PopRequestSchema,
  type PopResponse,
  PopResponseSchema,
  type PushRequest,
  PushRequestSchema,
  type PushResponse,
  PushResponseSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";

type Unary<I extends Message, O extends Message> = (
  request: MessageInitShape<GenMessage<I>>,
  options?: { signal?: AbortSignal; metadata?: Record<string, string> },
) => Promise<O>;

/** DelayQueueService through `@grpc/grpc-js`, messages coded by the generated schemas. */
export interface GrpcJsClient {
  push: Unary<PushRequest, PushResponse>;
  pop: Unary<PopRequest, PopResponse>;
  finish: Unary<FinishRequest, FinishResponse>;
  delete: Unary<DeleteRequest, DeleteResponse>;
  get: Unary<GetRequest, GetResponse>;
  /** Any unary method by full path, for unknown-method tests. */
  raw: (path: string) => Promise<void>;
  readonly client: Client;
  /** Closes the channel. */
  close(): void;
}

/**
 * A grpc-js client for `url` (`http://host:port`); close it when done.
 * Errors reject with grpc-js's ServiceError (`.code` is the gRPC status).
 */
export function grpcJsClient(
  url: string,
  creds: ChannelCredentials = credentials.createInsecure(),
  channelOptions: ChannelOptions = {},
): GrpcJsClient {
  const { host } = new URL(url);
  const client = new Client(host, creds, channelOptions);
  function unary<I extends Message, O extends Message>(
    name: string,
    input: GenMessage<I>,
    output: GenMessage<O>,
  ): Unary<I, O> {
    return (request, options = {}) =>
      new Promise<O>((resolve, reject) => {
        const metadata = new Metadata();
        for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
        const call = client.makeUnaryRequest(
          `/${DelayQueueService.typeName}/${name}`,
          (message: I) => Buffer.from(toBinary(input, message)),
          (bytes: Buffer) => fromBinary(output, bytes),
          create(input, request),
          metadata,
          (error: ServiceError | null, response?: O) =>
            error || !response ? reject(error) : resolve(response),
        );
        options.signal?.addEventListener("abort", () => call.cancel(), { once: true });
      });
  }
  return {
    push: unary("Push", PushRequestSchema, PushResponseSchema),
    pop: unary("Pop", PopRequestSchema, PopResponseSchema),
    finish: unary("Finish", FinishRequestSchema, FinishResponseSchema),
    delete: unary("Delete", DeleteRequestSchema, DeleteResponseSchema),
    get: unary("Get", GetRequestSchema, GetResponseSchema),
    raw: (path) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (error: ServiceError | null) => (error ? reject(error) : resolve()),
        );
      }),
    client,
    close: () => client.close(),
  };
}
