import { createConnection, createServer } from "node:net";

/** The embedded Redis listens on loopback only. */
export const HOST = "127.0.0.1";

/** Asks the OS for a free loopback port. Another process may still take it before Redis binds. */
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

/** Sends SHUTDOWN; true once Redis closed the connection (it does not answer on success). */
export function sendShutdown(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let answer = "";
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on("error", () => resolve(false));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
    });
    socket.on("close", () => resolve(!answer.startsWith("-")));
    socket.on("connect", () => socket.write("SHUTDOWN\r\n"));
  });
}

/** PING then INFO server over a raw socket; the server's pid once it answers PONG. */
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
      // Anything but PONG first (such as -LOADING while the AOF replays) means not ready.
      if (!"+PONG\r\n".startsWith(data.slice(0, 7))) return finish(undefined);
      const pid = /process_id:(\d+)\r\n/.exec(data);
      if (pid) finish(Number(pid[1]));
    });
  });
}
