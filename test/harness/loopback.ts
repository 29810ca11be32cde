// The harness finds ports and probes redis-server exactly as the embedded Redis does.
export { freePort, HOST, probe } from "../../src/server/embedded-redis/redis-socket.js";
