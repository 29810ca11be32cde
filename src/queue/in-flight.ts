/**
 * Counts calls in flight, so that `close()` can wait for them. A count, not a
 * set of promises: a long-lived Set that every call enters and leaves is
 * rehashed over and over, and V8 keeps each rehashed-away table pointing at
 * its successor with its entries in place; once such a table is in the old
 * generation, every young scavenge treats it as live, so the calls it still
 * lists (a parked pop's whole request, say) are copied and promoted instead
 * of dying young (docs/PERFORMANCE.md, "Garbage collection").
 */
export class InFlight {
  private count = 0;
  private drained: (() => void) | undefined;
  private whenDrained: Promise<void> | undefined;

  /** Counts `promise` until it settles. */
  add(promise: Promise<unknown>): void {
    this.count++;
    const done = () => {
      if (--this.count === 0) this.drained?.();
    };
    promise.then(done, done);
  }

  /** Resolves once nothing counted is in flight. */
  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    this.whenDrained ??= new Promise<void>((resolve) => {
      this.drained = () => {
        this.drained = undefined;
        this.whenDrained = undefined;
        resolve();
      };
    });
    return this.whenDrained;
  }
}
