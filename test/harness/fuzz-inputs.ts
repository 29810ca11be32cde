import type { Rng } from "./prng.js";

/**
 * JSON tokens that `JSON.stringify` cannot produce: numbers past double range
 * or precision, and strings that are not well-formed Unicode.
 */
const rawTokens = [
  "1e400",
  "-1e400",
  "-0",
  "123456789012345678901234567890",
  "9007199254740993",
  "5e-324",
  "1.7976931348623157e308",
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"\\u0000"',
  '"\\uFFFF"',
  "true",
  "[]",
  "{}",
];

/** A value of a wrong type or an extreme one, for a JSON field. */
export function weirdValue(rng: Rng): unknown {
  const choices: (() => unknown)[] = [
    () => rng.pick([0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 1e-7, 86_401]),
    () => rng.pick(["", " ", "a b", "\u0000", "é", "😀", "\u202e", "a,b", "..", "*", "{x}"]),
    () => "x".repeat(rng.pick([129, 257, 4096, 70_000])),
    () => rng.pick([true, false, null]),
    () => [rng.int(10), "a"],
    () => ({ nested: { value: rng.int(10) } }),
    () => String(rng.int(1000)),
  ];
  return rng.pick(choices)();
}

const isMessageList = (value: unknown): value is Record<string, unknown>[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((item) => typeof item === "object" && item !== null && !Array.isArray(item));

/**
 * A weird value in place of `value`; for a list of messages (a batch's jobs),
 * half the time the list with one field of one message made weird instead, so
 * that the batch is refused at an index rather than as a whole.
 */
function weirdFieldValue(rng: Rng, value: unknown): unknown {
  if (!isMessageList(value) || !rng.chance(0.5)) return weirdValue(rng);
  const at = rng.int(value.length);
  const fields = Object.keys(value[at] ?? {});
  const field = rng.chance(0.85) && fields.length > 0 ? rng.pick(fields) : "unknownField";
  return value.map((item, i) => (i === at ? { ...item, [field]: weirdValue(rng) } : item));
}

/** Bytes that are not valid UTF-8 (lone continuation, overlong, surrogate, truncated). */
export function invalidUtf8(rng: Rng): Buffer {
  return Buffer.from(
    rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80]]),
  );
}

/** Deeply nested JSON: `[[[…]]]` or `{"a":{"a":…}}`, `depth` levels. */
export function deepJson(rng: Rng, depth: number): string {
  return rng.chance(0.5)
    ? `${"[".repeat(depth)}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** Random damage to bytes: flips, insertions (often of invalid UTF-8), a cut. */
export function damage(rng: Rng, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  const edits = 1 + rng.int(3);
  for (let i = 0; i < edits; i++) {
    const at = rng.int(bytes.length + 1);
    const kind = rng.int(3);
    if (kind === 0 && bytes.length > 0) {
      bytes[Math.min(at, bytes.length - 1)] = rng.int(256);
    } else if (kind === 1) {
      const insert = rng.chance(0.5) ? invalidUtf8(rng) : rng.bytes(1 + rng.int(8));
      bytes = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
    } else {
      bytes = bytes.subarray(0, at);
    }
  }
  return bytes;
}

/**
 * A JSON body derived from `base` (a valid request): a field (or a field of
 * one job of a batch) set to a weird value, or a field set to a raw token, a
 * field dropped, deep nesting, the whole body replaced,
 * byte damage, binary garbage, or a huge string; now and then `base` as is.
 * `hugeBytes` is the size of the occasional oversized body.
 */
export function mutateJson(rng: Rng, base: Record<string, unknown>, hugeBytes: number): Buffer {
  const fields = Object.keys(base);
  const field = rng.chance(0.85) && fields.length > 0 ? rng.pick(fields) : "unknownField";
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const withRaw = (raw: string) =>
    Buffer.from(JSON.stringify({ ...base, [field]: "\u0001RAW" }).replace('"\\u0001RAW"', raw));
  switch (rng.int(12)) {
    case 0:
    case 1:
      return json(base);
    case 2:
    case 3:
      return json({ ...base, [field]: weirdFieldValue(rng, base[field]) });
    case 4:
      return withRaw(rng.pick(rawTokens));
    case 5:
      return json(Object.fromEntries(Object.entries(base).filter(([key]) => key !== field)));
    case 6:
      return withRaw(deepJson(rng, rng.pick([100, 5_000, 100_000])));
    case 7:
      return json(rng.pick([[base], "text", 42, null, [], weirdValue(rng)]));
    case 8:
    case 9:
      return damage(rng, json(base));
    case 10:
      return rng.bytes(rng.int(2_000));
    default: {
      if (rng.chance(0.3)) return json({ ...base, [field]: "h".repeat(hugeBytes) });
      // Well-formed JSON whose last string holds bytes that are not UTF-8.
      const rest = Object.fromEntries(Object.entries(base).filter(([key]) => key !== field));
      const text = json({ ...rest, [field]: "a" }).subarray(0, -2);
      return Buffer.concat([text, invalidUtf8(rng), Buffer.from('"}')]);
    }
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * Protobuf bytes derived from `valid`: truncated, damaged, with garbage, an
 * invalid wire type, an endless varint, a length past the end, a huge field
 * number, deeply nested groups; now and then `valid` as is.
 */
export function mutateBinary(rng: Rng, valid: Uint8Array): Buffer {
  const bytes = Buffer.from(valid);
  const append = (tail: number[]) => Buffer.concat([bytes, Buffer.from(tail)]);
  switch (rng.int(11)) {
    case 0:
    case 1:
      return bytes;
    case 2:
      return bytes.subarray(0, rng.int(bytes.length + 1));
    case 3:
      return damage(rng, bytes);
    case 4:
      return append([(1 + rng.int(15)) * 8 + rng.pick([6, 7])]);
    case 5:
      return append([0x08, ...Array(11).fill(0xff)]);
    case 6:
      return append([0x0a, ...varint(2 ** 31 + rng.int(1000))]);
    case 7:
      return append([...varint((2 ** 29 - 1) * 8), 0x01]);
    case 8:
      return append(Array(rng.pick([100, 10_000, 100_000])).fill(0x7b)); // field 15, start group
    case 9:
      return rng.bytes(rng.int(2_000));
    default: {
      // Field 2 as a string of four bytes that are not UTF-8.
      const text = [...invalidUtf8(rng), 0x41, 0x41, 0x41, 0x41].slice(0, 4);
      return append([0x12, 4, ...text]);
    }
  }
}

/**
 * Length-prefixed messages (gRPC, gRPC-web, Connect streaming) carrying
 * `payload`: a good frame, or a wrong length, an unknown or compressed flag
 * without an encoding, a cut header, two messages, nothing at all.
 */
export function frames(rng: Rng, payload: Buffer): Buffer {
  const frame = (flags: number, length: number, body: Buffer) => {
    const head = Buffer.alloc(5);
    head[0] = flags;
    head.writeUInt32BE(Math.max(0, Math.min(length, 0xffffffff)), 1);
    return Buffer.concat([head, body]);
  };
  switch (rng.int(10)) {
    case 0:
    case 1:
    case 2:
      return frame(0, payload.length, payload);
    case 3:
      return frame(0, payload.length + 1 + rng.int(100), payload);
    case 4:
      return frame(0, payload.length - 1 - rng.int(Math.max(1, payload.length)), payload);
    case 5:
      return frame(rng.pick([1, 0x80, 0x02, 0xff]), payload.length, payload);
    case 6:
      return frame(0, payload.length, payload).subarray(0, rng.int(5));
    case 7:
      return Buffer.concat([frame(0, payload.length, payload), frame(0, payload.length, payload)]);
    case 8:
      return frame(0, 0xffffffff, payload);
    default:
      return Buffer.alloc(0);
  }
}
