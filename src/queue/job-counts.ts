/** Jobs this engine has moved since it started, counted as each call returns. */
export interface JobCounts {
  /** Jobs written by push and pushMany (replacements included, `ifAbsent` refusals not). */
  pushed: number;
  /** Jobs handed out by pop and popMany. */
  popped: number;
  /** Reservations ended by finish and finishMany. */
  finished: number;
  /** Reservations given back by release. */
  released: number;
}

export function newJobCounts(): JobCounts {
  return { pushed: 0, popped: 0, finished: 0, released: 0 };
}

/** How many of `results` are "done". */
export function doneCount(results: readonly string[]): number {
  let done = 0;
  for (const result of results) if (result === "done") done++;
  return done;
}
