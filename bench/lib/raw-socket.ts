/**
 * The TCP side of the bench's raw clients (`raw-h1.ts`, `raw-grpc.ts`): a
 * loopback socket without Nagle, its `host:port`, and a promise of the connection.
 */
import net from "node:net";

export interface RawSocket {
  socket: net.Socket;
  /** `host:port` of `url`: HTTP/1.1's `host`, HTTP/2's `:authority`. */
  authority: string;
  /** Resolves once the TCP connection is up. */
  ready: Promise<void>;
}

/** Connects to `url`'s host and port; `onData`, `onError` and `onClose` get the socket's events. */
export function openRawSocket(
  url: string,
  handlers: { onData(chunk: Buffer): void; onError(error: Error): void; onClose(): void },
): RawSocket {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  socket.on("data", handlers.onData);
  socket.on("error", handlers.onError);
  socket.on("close", handlers.onClose);
  return { socket, authority: `${hostname}:${port}`, ready };
}
