import {
  create,
  createRegistry,
  type DescFile,
  fromBinary,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  file_grpc_reflection_v1_reflection,
  ServerReflectionRequestSchema as RequestV1,
  ServerReflectionResponseSchema as ResponseV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflectionRequestSchema as RequestV1alpha,
  ServerReflectionResponseSchema as ResponseV1alpha,
  ServerReflection as ServerReflectionV1alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

// gRPC status codes carried inside reflection's ErrorResponse.
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** Answers reflection requests about a fixed set of proto files. */
class Reflector {
  private readonly registry: Registry;
  private readonly byName = new Map<string, DescFile>();
  private readonly services: string[] = [];

  constructor(files: readonly DescFile[]) {
    this.registry = createRegistry(...files);
    const index = (file: DescFile) => {
      if (this.byName.has(file.proto.name)) return;
      this.byName.set(file.proto.name, file);
      file.dependencies.forEach(index);
    };
    files.forEach(index);
    for (const file of files) {
      for (const service of file.services) this.services.push(service.typeName);
    }
  }

  answer(request: ServerReflectionRequest): ServerReflectionResponse {
    const base = { validHost: request.host, originalRequest: request };
    const found = (file: DescFile | undefined, what: string) =>
      file
        ? create(ResponseV1, {
            ...base,
            messageResponse: {
              case: "fileDescriptorResponse",
              value: { fileDescriptorProto: this.withDependencies(file) },
            },
          })
        : this.error(base, NOT_FOUND, `${what} not found`);
    const { case: kind, value } = request.messageRequest;
    switch (kind) {
      case "listServices":
        return create(ResponseV1, {
          ...base,
          messageResponse: {
            case: "listServicesResponse",
            value: { service: this.services.map((name) => ({ name })) },
          },
        });
      case "fileByFilename":
        return found(this.byName.get(value), `file ${value}`);
      case "fileContainingSymbol":
        return found(this.fileOfSymbol(value), `symbol ${value}`);
      case "fileContainingExtension":
        return this.error(base, NOT_FOUND, "no extensions are declared");
      case "allExtensionNumbersOfType":
        return create(ResponseV1, {
          ...base,
          messageResponse: {
            case: "allExtensionNumbersResponse",
            value: { baseTypeName: value, extensionNumber: [] },
          },
        });
      default:
        return this.error(base, UNIMPLEMENTED, "unsupported reflection request");
    }
  }

  private error(
    base: Pick<ServerReflectionResponse, "validHost" | "originalRequest">,
    code: number,
    message: string,
  ): ServerReflectionResponse {
    return create(ResponseV1, {
      ...base,
      messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } },
    });
  }

  /** Symbols are types, services, or a member of one (`pkg.Service.Method`, `pkg.Msg.field`). */
  private fileOfSymbol(symbol: string): DescFile | undefined {
    const name = symbol.startsWith(".") ? symbol.slice(1) : symbol;
    const direct = this.registry.get(name);
    if (direct) return direct.file;
    const parent = this.registry.get(name.slice(0, Math.max(0, name.lastIndexOf("."))));
    return parent?.file;
  }

  /** The file and everything it imports, dependencies first, each once. */
  private withDependencies(file: DescFile): Uint8Array[] {
    const ordered: DescFile[] = [];
    const visit = (f: DescFile) => {
      if (ordered.includes(f)) return;
      for (const dep of f.dependencies) visit(dep);
      ordered.push(f);
    };
    visit(file);
    return ordered.map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  }
}

/**
 * Serves gRPC server reflection, v1 and v1alpha, for `files` (and the
 * reflection protos themselves), so grpcurl and buf curl work without the schema.
 */
export function reflectionRoutes(router: ConnectRouter, files: readonly DescFile[]): void {
  const reflector = new Reflector([
    ...files,
    file_grpc_reflection_v1_reflection,
    file_grpc_reflection_v1alpha_reflection,
  ]);
  router.service(ServerReflectionV1, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield reflector.answer(request);
    },
  });
  // v1alpha is v1 under another package name: the same bytes on the wire.
  router.service(ServerReflectionV1alpha, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const answer = reflector.answer(fromBinary(RequestV1, toBinary(RequestV1alpha, request)));
        yield fromBinary(ResponseV1alpha, toBinary(ResponseV1, answer));
      }
    },
  });
}
