import type { Redis } from "ioredis";

/**
 * Holds a client's socket writes until the current task ends, then lets them
 * go as one write: the calls one event-loop turn makes (the coalesced pushes,
 * pops and finishes of every shard) leave in one syscall and reach Redis
 * together. This replaces ioredis' auto-pipelining, which does the same at a
 * cost: each of its pipelines keeps its calls' objects reachable until the
 * whole pipeline has answered, so in a loop of 64 concurrent calls a fifth of
 * what was allocated survived young-generation GC (1% without it), and the
 * old-generation GCs that follow such promotion stall the event loop for
 * milliseconds at a time (docs/PERFORMANCE.md, "Garbage collection").
 */
export class TurnWrites {
  private held: Redis["stream"] | undefined;
  private readonly release = (): void => {
    const stream = this.held;
    this.held = undefined;
    stream?.uncork();
  };

  constructor(private readonly redis: Redis) {}

  /** Call before each command: the first of a task corks the socket, the task's end uncorks it. */
  hold(): void {
    if (this.held || this.redis.status !== "ready") return;
    const stream = this.redis.stream;
    stream.cork();
    this.held = stream;
    process.nextTick(this.release);
  }
}
