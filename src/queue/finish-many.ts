import type { FinishRequest } from "./finish-coalescer.js";
import { checkId, checkJobs, type Limits } from "./limits.js";
import type { TurnBatch } from "./turn-batch.js";
import type { FinishInput, SettleResult } from "./types.js";

/**
 * Finishes a batch through the finish coalescer. Every id is checked before
 * any job is added, so one bad id finishes nothing; then all go in this turn,
 * grouped by shard into the same `finish-batch` calls as any other finishes
 * of the turn. Results come back in input order.
 */
export function finishMany(
  finishes: TurnBatch<FinishRequest, SettleResult>,
  inputs: readonly FinishInput[],
  limits: Limits,
): Promise<SettleResult[]> {
  const requests = checkJobs(inputs, limits, (input: FinishInput) => ({
    id: checkId(input?.id, limits),
    token: input.token ?? "",
  }));
  return Promise.all(requests.map((request) => finishes.add(request)));
}
