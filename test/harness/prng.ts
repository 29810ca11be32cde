import { randomInt } from "node:crypto";

/** A seeded pseudo-random source: the same seed gives the same sequence. */
export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [0, max). */
  int(max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `n` random bytes. */
  bytes(n: number): Buffer;
}

/** mulberry32: tiny, fast and good enough to drive a fuzzer. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

/**
 * The seed of a fuzz run: `FUZZ_SEED` from the environment (to replay a run
 * that failed), else a fresh one. Print it, so that a failure can be replayed.
 */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      throw new Error(`FUZZ_SEED must be a whole number from 0 to 2^32-1, got ${given}`);
    }
    return seed;
  }
  return randomInt(2 ** 32 - 1);
}
