import type { Redis } from "ioredis";
import type { Logger } from "pino";

export interface NotifierHandlers {
  /** Another process made `count` jobs of `topic` ready. */
  onReady(topic: string, count: number): void;
  /** Another process made `dueMs` the earliest due time of `shard`. */
  onDue(shard: number, dueMs: number): void;
  /** The subscription was re-established: news may have been missed meanwhile. */
  onResync(): void;
}

/**
 * Listens on the queue's pub/sub channel for what the scripts announce, skips
 * this process's own announcements (it acted on them already), and hands the
 * rest to the waiters and the scheduler.
 */
export class Notifier {
  private subscribed = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly origin: string,
    private readonly handlers: NotifierHandlers,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channel) this.dispatch(message);
    });
    this.subscriber.on("ready", () => {
      // ioredis re-subscribes by itself; only a ready after the first one means a gap.
      if (this.subscribed) this.handlers.onResync();
    });
    await this.subscriber.subscribe(this.channel);
    this.subscribed = true;
  }

  private dispatch(message: string): void {
    const parts = message.split(" ");
    const [kind, origin] = parts;
    if (origin === this.origin) return;
    if (kind === "r") {
      for (let i = 2; i + 1 < parts.length; i += 2) {
        this.handlers.onReady(parts[i] as string, Number(parts[i + 1]));
      }
    } else if (kind === "d" && parts.length === 4) {
      this.handlers.onDue(Number(parts[2]), Number(parts[3]));
    } else {
      this.logger.debug({ message }, "ignored unknown notification");
    }
  }
}
