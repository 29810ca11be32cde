import { QueueError } from "./errors.js";

/** How a {@link TurnBatch} groups and sends its calls. */
export interface TurnBatchOptions<Item, Result> {
  /** Calls with the same key may share one Redis call. */
  keyOf(item: Item): string;
  /** What a call weighs towards {@link maxWeight} (1 when absent). */
  weightOf?(item: Item): number;
  /** Most weight one Redis call carries; heavier groups are split. */
  maxWeight: number;
  /** Sends one group (all of one key, in call order); one result per item, in order. */
  send(items: Item[], key: string): Promise<Result[]>;
}

interface Pending<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Calls made in the same event-loop turn (many concurrent requests, say) go
 * to Redis grouped: one script call per group instead of one per call, so
 * fewer script calls for Redis and fewer commands to build here. Each caller
 * gets its own result.
 *
 * Calls wait at most until the end of the turn; {@link flush} sends them
 * earlier, which the queue does before any other call so that calls reach
 * Redis in the order they were made.
 */
export class TurnBatch<Item, Result> {
  private groups = new Map<string, Pending<Item, Result>[]>();
  private scheduled = false;

  constructor(private readonly options: TurnBatchOptions<Item, Result>) {}

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const key = this.options.keyOf(item);
      const group = this.groups.get(key);
      if (group) group.push({ item, resolve, reject });
      else this.groups.set(key, [{ item, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.groups.size === 0) return;
    const groups = this.groups;
    this.groups = new Map();
    const weightOf = this.options.weightOf ?? (() => 1);
    for (const [key, group] of groups) {
      let call: Pending<Item, Result>[] = [];
      let weight = 0;
      for (const pending of group) {
        const w = weightOf(pending.item);
        if (call.length > 0 && weight + w > this.options.maxWeight) {
          this.send(call, key);
          call = [];
          weight = 0;
        }
        call.push(pending);
        weight += w;
      }
      this.send(call, key);
    }
  }

  private send(call: Pending<Item, Result>[], key: string): void {
    this.options
      .send(
        call.map((p) => p.item),
        key,
      )
      .then(
        (results) =>
          call.forEach((p, i) => {
            if (i < results.length) p.resolve(results[i] as Result);
            else p.reject(new QueueError("internal", "a batched call returned too few results"));
          }),
        (error: unknown) => {
          for (const p of call) p.reject(error);
        },
      );
  }
}
