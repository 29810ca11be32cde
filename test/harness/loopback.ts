import { createConnection, createServer } from "node:net";

/** Loopback address every private server binds to. */
export const HOST = "127.0.0.1";

/** Asks the OS for a free loopback port. Another process may still take it before we bind. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING and INFO over a raw socket; resolves the server's pid once it answers PONG. */
export function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let data = "";
    const finish = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1_000, () => finish(undefined));
    socket.on("error", () => finish(undefined));
    socket.on("close", () => finish(undefined));
    socket.on("connect", () => socket.write("PING\r\nINFO server\r\n"));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const pid = parseProbe(data);
      if (pid !== "partial") finish(pid);
    });
  });
}

function parseProbe(data: string): number | undefined | "partial" {
  const pong = "+PONG\r\n";
  // Anything else, such as -LOADING while the AOF replays, means not ready yet.
  if (!data.startsWith(pong)) return pong.startsWith(data) ? "partial" : undefined;
  const rest = data.slice(pong.length);
  const header = /^\$(\d+)\r\n/.exec(rest);
  if (!header) return rest.startsWith("-") ? undefined : "partial";
  // latin1 keeps one char per byte, so the bulk length can be compared directly.
  const body = rest.slice(header[0].length);
  if (body.length < Number(header[1])) return "partial";
  const pid = /process_id:(\d+)/.exec(body);
  return pid ? Number(pid[1]) : undefined;
}
