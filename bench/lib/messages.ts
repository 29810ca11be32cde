import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  FinishBatchRequestSchema,
  FinishBatchResponseSchema,
  FinishRequestSchema,
  PopBatchRequestSchema,
  PopRequestSchema,
  PopResponseSchema,
  PushBatchRequestSchema,
  PushRequestSchema,
} from "../../gen/delayqueue/v1/delay_queue_pb.js";

export const SERVICE_PATH = "/delayqueue.v1.DelayQueueService";
const ID_DIGITS = 10;

/**
 * Unique, fixed-width job ids: `<prefix><10 digits>`. Fixed width lets a
 * binary request be built once and patched in place per call.
 */
export class IdSequence {
  private next = 0;

  constructor(readonly prefix: string) {}

  get issued(): number {
    return this.next;
  }

  id(n = this.next++): string {
    return `${this.prefix}${String(n).padStart(ID_DIGITS, "0")}`;
  }
}

export function makeBody(bytes: number): string {
  return "x".repeat(bytes);
}

/** The legacy `/push` JSON. */
export function legacyPush(topic: string, id: string, delayS: number, body: string): string {
  return `{"topic":"${topic}","id":"${id}","delay":${delayS},"ttr":60,"body":"${body}"}`;
}

/**
 * A binary PushRequest built once; `build(id)` copies it and writes the id
 * (and optionally the start of the body) in place: same lengths, so no
 * length prefix changes.
 */
export class PushTemplate {
  private readonly bytes: Buffer;
  private readonly offset: number;
  private readonly bodyOffset: number;

  constructor(topic: string, ids: IdSequence, delayS: number, body: string, ttrS = 60) {
    const placeholder = ids.id(0);
    this.bytes = Buffer.from(
      toBinary(
        PushRequestSchema,
        create(PushRequestSchema, { topic, id: placeholder, delay: delayS, ttr: ttrS, body }),
      ),
    );
    this.offset = this.bytes.indexOf(placeholder, 0, "latin1");
    if (this.offset < 0) throw new Error("id not found in the encoded PushRequest");
    this.bodyOffset = body === "" ? -1 : this.bytes.lastIndexOf(body, undefined, "latin1");
  }

  /** `bodyStart` overwrites as many leading bytes of the body (ASCII, no longer than it). */
  build(id: string, bodyStart?: string): Buffer {
    const copy = Buffer.from(this.bytes);
    copy.write(id, this.offset, "latin1");
    if (bodyStart !== undefined && this.bodyOffset >= 0)
      copy.write(bodyStart, this.bodyOffset, "latin1");
    return copy;
  }
}

/**
 * A body that carries when its push was sent and its delay, fixed width:
 * `ts:<epoch ms, 3 decimals>:<delay ms, 6 digits>;` then `x` up to `bytes`.
 */
export function stampedBody(sentAt: number, delayMs: number): string {
  return `ts:${sentAt.toFixed(3).padStart(17, "0")}:${String(delayMs).padStart(6, "0")};`;
}

export const STAMP_LENGTH = stampedBody(0, 0).length;

/** The push time and delay a stamped body carries, or undefined. */
export function readStamp(
  body: string | undefined,
): { sentAt: number; delayMs: number } | undefined {
  const match = body ? /ts:([\d.]+):(\d+);/.exec(body) : null;
  if (!match) return undefined;
  return { sentAt: Number(match[1]), delayMs: Number(match[2]) };
}

/**
 * `Date.now()` at µs resolution: `performance.timeOrigin` can be off the wall
 * clock by a ms or two, so the offset is taken at a tick of `Date.now()`.
 */
const wallOffset = (() => {
  const first = Date.now();
  let now = first;
  while (now === first) now = Date.now();
  return now - performance.now();
})();

/** Wall-clock time (the clock Redis TIME reads on this host), ms with fractions. */
export function nowEpochMs(): number {
  return wallOffset + performance.now();
}

export function popRequest(topics: string[], timeoutS: number): Uint8Array {
  return toBinary(PopRequestSchema, create(PopRequestSchema, { topics, timeout: timeoutS }));
}

export function finishRequest(id: string, token = ""): Uint8Array {
  return toBinary(FinishRequestSchema, create(FinishRequestSchema, { id, token }));
}

/** The popped job of a binary PopResponse, if any. */
export function poppedJob(
  message: Uint8Array,
): { id: string; token: string; dueMs: number } | undefined {
  const { job } = fromBinary(PopResponseSchema, message);
  if (!job) return undefined;
  const due = job.dueTime;
  const dueMs = due ? Number(due.seconds) * 1000 + due.nanos / 1e6 : 0;
  return { id: job.id, token: job.token, dueMs };
}

/**
 * A binary PushBatchRequest of `size` jobs built once; `build()` copies it
 * and writes `size` fresh ids in place.
 */
export class PushBatchTemplate {
  private readonly bytes: Buffer;
  private readonly offsets: number[] = [];

  constructor(
    private readonly ids: IdSequence,
    readonly size: number,
    topic: string,
    delayS: number,
    body: string,
  ) {
    const placeholder = ids.id(0);
    const jobs = Array.from({ length: size }, () =>
      create(PushRequestSchema, { topic, id: placeholder, delay: delayS, ttr: 60, body }),
    );
    this.bytes = Buffer.from(
      toBinary(PushBatchRequestSchema, create(PushBatchRequestSchema, { jobs })),
    );
    for (let at = this.bytes.indexOf(placeholder, 0, "latin1"); at >= 0; ) {
      this.offsets.push(at);
      at = this.bytes.indexOf(placeholder, at + placeholder.length, "latin1");
    }
    if (this.offsets.length !== size)
      throw new Error("ids not found in the encoded PushBatchRequest");
  }

  build(): Buffer {
    const copy = Buffer.from(this.bytes);
    for (const offset of this.offsets) copy.write(this.ids.id(), offset, "latin1");
    return copy;
  }
}

export function popBatchRequest(topics: string[], max: number, timeoutS: number): Uint8Array {
  return toBinary(
    PopBatchRequestSchema,
    create(PopBatchRequestSchema, { topics, max, timeout: timeoutS }),
  );
}

export function finishBatchRequest(ids: readonly string[]): Uint8Array {
  return toBinary(
    FinishBatchRequestSchema,
    create(FinishBatchRequestSchema, { jobs: ids.map((id) => ({ id })) }),
  );
}

/**
 * Jobs a binary FinishBatchResponse reports finished, read from the text
 * autocannon hands over. For up to 127 jobs every byte of the reply is below
 * 0x80, so that text still holds the bytes as sent.
 */
export function finishedCount(text: string): number {
  const { finished } = fromBinary(FinishBatchResponseSchema, Buffer.from(text, "latin1"));
  return finished.filter(Boolean).length;
}
