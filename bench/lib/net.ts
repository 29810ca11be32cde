// Benchmarks bind and probe exactly as the embedded Redis does: loopback only.
export { freePort, HOST } from "../../src/server/embedded-redis/redis-socket.js";
