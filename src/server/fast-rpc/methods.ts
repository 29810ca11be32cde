import type { DescMessage, Message } from "@bufbuild/protobuf";
import {
  DelayQueueService,
  type DeleteRequest,
  type FinishBatchRequest,
  type FinishRequest,
  type GetRequest,
  type PopBatchRequest,
  type PopRequest,
  type PushBatchRequest,
  type PushRequest,
  type ReleaseRequest,
} from "../../../gen/delayqueue/v1/delay_queue_pb.js";
import type { StopSignal } from "../../queue/index.js";
import type { DelayQueueRpc } from "../../service/index.js";

/** One unary DelayQueueService method as the fast path serves it. */
export interface FastMethod {
  /** `/delayqueue.v1.DelayQueueService/Push` and so on. */
  readonly path: string;
  readonly input: DescMessage;
  readonly output: DescMessage;
  /** True for the long polls: only they get (and pay for) a stop signal. */
  readonly waits: boolean;
  /** Calls the same {@link DelayQueueRpc} method as the connect-es route. */
  call(request: Message, signal: StopSignal | undefined): Promise<Message>;
}

type Call = (rpc: DelayQueueRpc, request: Message, signal: StopSignal | undefined) => unknown;

// Keyed by the generated local name; a method missing here stays with connect-es.
const calls: Record<string, Call> = {
  push: (rpc, req) => rpc.push(req as PushRequest),
  pushBatch: (rpc, req) => rpc.pushBatch(req as PushBatchRequest),
  pop: (rpc, req, signal) => rpc.pop(req as PopRequest, signal),
  popBatch: (rpc, req, signal) => rpc.popBatch(req as PopBatchRequest, signal),
  finish: (rpc, req) => rpc.finish(req as FinishRequest),
  finishBatch: (rpc, req) => rpc.finishBatch(req as FinishBatchRequest),
  release: (rpc, req) => rpc.release(req as ReleaseRequest),
  delete: (rpc, req) => rpc.delete(req as DeleteRequest),
  get: (rpc, req) => rpc.get(req as GetRequest),
};
const waiting = new Set(["pop", "popBatch"]);

/** The unary methods of DelayQueueService bound to `rpc`, by request path. */
export function fastMethods(rpc: DelayQueueRpc): ReadonlyMap<string, FastMethod> {
  const methods = new Map<string, FastMethod>();
  for (const method of DelayQueueService.methods) {
    const call = calls[method.localName];
    if (!call || method.methodKind !== "unary") continue;
    const path = `/${DelayQueueService.typeName}/${method.name}`;
    methods.set(path, {
      path,
      input: method.input,
      output: method.output,
      waits: waiting.has(method.localName),
      call: (request, signal) => call(rpc, request, signal) as Promise<Message>,
    });
  }
  return methods;
}
