import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { file_delayqueue_v1_delay_queue } from "../gen/delayqueue/v1/delay_queue_pb.js";
import { file_grpc_health_v1_health } from "../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { reflectionRoutes } from "../src/server/reflection.js";

const transport = createRouterTransport((router) =>
  reflectionRoutes(router, [file_delayqueue_v1_delay_queue, file_grpc_health_v1_health]),
);

async function ask(
  requests: ServerReflectionRequest["messageRequest"][],
): Promise<ServerReflectionResponse[]> {
  const client = createClient(ServerReflection, transport);
  async function* send() {
    for (const messageRequest of requests) {
      yield create(ServerReflectionRequestSchema, { messageRequest });
    }
  }
  const answers: ServerReflectionResponse[] = [];
  for await (const answer of client.serverReflectionInfo(send())) answers.push(answer);
  return answers;
}

function fileNames(answer: ServerReflectionResponse | undefined): string[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") return [];
  return answer.messageResponse.value.fileDescriptorProto.map(
    (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
  );
}

describe("server reflection", () => {
  it("lists every service the server offers", async () => {
    const [answer] = await ask([{ case: "listServices", value: "" }]);
    expect(answer?.messageResponse.case).toBe("listServicesResponse");
    const names =
      answer?.messageResponse.case === "listServicesResponse"
        ? answer.messageResponse.value.service.map((s) => s.name)
        : [];
    expect(names.sort()).toEqual([
      "delayqueue.v1.DelayQueueService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  it("gives the file of a service, a method and a message, imports first", async () => {
    const answers = await ask([
      { case: "fileContainingSymbol", value: "delayqueue.v1.DelayQueueService" },
      { case: "fileContainingSymbol", value: "delayqueue.v1.DelayQueueService.Push" },
      { case: "fileContainingSymbol", value: "delayqueue.v1.Job" },
      { case: "fileByFilename", value: "google/protobuf/timestamp.proto" },
    ]);
    const expected = ["google/protobuf/timestamp.proto", "delayqueue/v1/delay_queue.proto"];
    expect(fileNames(answers[0])).toEqual(expected);
    expect(fileNames(answers[1])).toEqual(expected);
    expect(fileNames(answers[2])).toEqual(expected);
    expect(fileNames(answers[3])).toEqual(["google/protobuf/timestamp.proto"]);
  });

  it("answers unknown symbols and files with a not-found error, and keeps the stream open", async () => {
    const answers = await ask([
      { case: "fileContainingSymbol", value: "no.such.Thing" },
      { case: "fileByFilename", value: "nope.proto" },
      { case: "listServices", value: "" },
    ]);
    expect(answers.map((a) => a.messageResponse.case)).toEqual([
      "errorResponse",
      "errorResponse",
      "listServicesResponse",
    ]);
    const first = answers[0]?.messageResponse;
    expect(first?.case === "errorResponse" && first.value.errorCode).toBe(5);
  });

  it("speaks v1alpha with the same answers", async () => {
    const client = createClient(ServerReflectionV1alpha, transport);
    async function* send() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    for await (const answer of client.serverReflectionInfo(send())) {
      expect(answer.messageResponse.case).toBe("listServicesResponse");
    }
  });
});
