export { DelayQueueRpc } from "./delay-queue-service.js";
export { toConnectError } from "./errors.js";
