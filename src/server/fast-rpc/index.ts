export type { FastPathOptions } from "./fast-path.js";
export { createFastPath } from "./fast-path.js";
