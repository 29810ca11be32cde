import { performance } from "node:perf_hooks";

/**
 * The Redis clock as seen from this process: every due time is Redis `TIME`,
 * so timers are armed against an offset measured from script replies, never
 * against the local wall clock (two hosts with skewed clocks still agree).
 */
export class RedisClock {
  private offset: number;
  private bestRtt = Number.POSITIVE_INFINITY;
  private bestAt = 0;

  constructor() {
    this.offset = Date.now() - performance.now();
  }

  /**
   * Records a reply carrying Redis time `redisMs` (ms, to the µs: a truncated
   * whole ms would leave the offset up to 0.5 ms off either way, and a timer
   * armed that much early wakes to nothing due), sent at `sentAt` and
   * received at `receivedAt` (both `performance.now()`).
   */
  observe(redisMs: number, sentAt: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt;
    // Prefer the tightest round trip, but let an old estimate age out.
    if (rtt > this.bestRtt && receivedAt - this.bestAt < 10_000) return;
    this.bestRtt = rtt;
    this.bestAt = receivedAt;
    this.offset = redisMs - (sentAt + receivedAt) / 2;
  }

  /** Now on the Redis clock, ms. */
  now(): number {
    return performance.now() + this.offset;
  }
}
