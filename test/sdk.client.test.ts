import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  ConnectError,
  createClient,
  type DelayQueueClient,
} from "../sdk/index.js";
import { createWebClient, type WebClientOptions } from "../sdk/web.js";
import { withRedis } from "./harness/index.js";
import { withServer } from "./harness/server.js";
import { waitUntil } from "./harness/wait.js";

const redis = withRedis();
const dq = withServer(redis);

type Make = (options: Pick<ClientOptions, "baseUrl" | "timeoutMs">) => DelayQueueClient;
const node =
  (options: Partial<ClientOptions>): Make =>
  (o) =>
    createClient({ ...o, ...options });
const web =
  (options: Partial<WebClientOptions>): Make =>
  (o) =>
    createWebClient({ ...o, ...options });

const ways: [string, Make][] = [
  ["connect JSON", node({ protocol: "connect", binary: false })],
  ["connect binary", node({ protocol: "connect" })],
  ["grpc", node({ protocol: "grpc" })],
  ["grpc-web", node({ protocol: "grpc-web" })],
  ["connect JSON over fetch (web client)", web({ protocol: "connect", binary: false })],
  ["grpc-web over fetch (web client)", web({ protocol: "grpc-web" })],
];

/** Resolves with the error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a rejection, got ${String(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(ConnectError);
  return outcome.error as ConnectError;
}

describe.each(ways)("the client over %s", (_, make) => {
  let client: DelayQueueClient;
  let topic: string;
  let id: (name: string) => string;
  beforeEach(() => {
    client = make({ baseUrl: dq.url });
    const tag = randomBytes(4).toString("hex");
    topic = `sdk.${tag}`;
    id = (name) => `${tag}:${name}`;
  });

  it("takes a job through push, get, pop, finish and get", async () => {
    const pushed = await client.push({ topic, id: id("a"), body: 'héllo {"x":1}', ttr: 30 });
    expect(pushed.replaced).toBe(false);
    expect(pushed.dueTime).toBeInstanceOf(Date);
    expect(await client.get({ id: id("a") })).toMatchObject({
      topic,
      id: id("a"),
      body: 'héllo {"x":1}',
      state: "ready",
      ttr: 30,
      attempts: 0,
      token: undefined,
    });
    const job = await client.pop({ topics: [topic], timeout: 1 });
    expect(job).toMatchObject({ id: id("a"), state: "reserved", attempts: 1 });
    expect(job?.token).toEqual(expect.any(String));
    expect(job?.reservedUntil).toBeInstanceOf(Date);
    if (!job) return;
    expect(await client.finish(job)).toEqual({ finished: true });
    expect(await client.get({ id: id("a") })).toBeUndefined();
    expect(await client.finish(job)).toEqual({ finished: false });
    expect(await client.pop({ topics: [topic], timeout: 0 })).toBeUndefined();
  });

  it("hands a job out again when its ttr runs out", async () => {
    await client.push({ topic, id: id("r"), body: "again", ttr: 0.3 });
    const first = await client.pop({ topics: [topic], timeout: 1 });
    expect(first?.attempts).toBe(1);
    const started = performance.now();
    const second = await client.pop({ topics: [topic], timeout: 5 });
    expect(performance.now() - started).toBeGreaterThan(200);
    expect(second).toMatchObject({ id: id("r"), attempts: 2 });
    expect(second?.token).not.toBe(first?.token);
    // The first hand-out's token no longer finishes the job; the second's does.
    expect(await client.finish({ id: id("r"), token: first?.token })).toEqual({ finished: false });
    expect(await client.finish({ id: id("r"), token: second?.token })).toEqual({ finished: true });
  });

  it("releases a popped job so that it is ready again at once, counting the attempt", async () => {
    await client.push({ topic, id: id("rel"), ttr: 30 });
    const first = await client.pop({ topics: [topic], timeout: 1 });
    await client.release({ id: id("rel"), token: first?.token });
    expect(await client.get({ id: id("rel") })).toMatchObject({ state: "ready", attempts: 1 });
    expect(await client.pop({ topics: [topic], timeout: 1 })).toMatchObject({ attempts: 2 });
  });

  it("deletes a job whatever its state, idempotently", async () => {
    await client.push({ topic, id: id("d"), body: "later", delay: 60, ttr: 30 });
    expect(await client.get({ id: id("d") })).toMatchObject({ state: "delayed", delay: 60 });
    expect(await client.delete({ id: id("d") })).toEqual({ deleted: true });
    expect(await client.get({ id: id("d") })).toBeUndefined();
    expect(await client.delete({ id: id("d") })).toEqual({ deleted: false });
    await client.push({ topic, id: id("d2"), ttr: 30 });
    await client.pop({ topics: [topic], timeout: 1 });
    expect(await client.delete({ id: id("d2") })).toEqual({ deleted: true });
  });

  it("refuses a push with ifAbsent for an existing id with already_exists", async () => {
    await client.push({ topic, id: id("x"), body: "one", ttr: 30 });
    const error = await rejection(
      client.push({ topic, id: id("x"), body: "two", ttr: 30, ifAbsent: true }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
    expect((await client.get({ id: id("x") }))?.body).toBe("one");
    // Without ifAbsent the job is replaced.
    expect(await client.push({ topic, id: id("x"), body: "two", ttr: 30 })).toMatchObject({
      replaced: true,
    });
  });

  it("rejects invalid input with invalid_argument", async () => {
    const bad = [
      client.push({ topic: "no spaces allowed", id: id("i"), ttr: 30 }),
      client.push({ topic, id: id("i"), ttr: 0 }),
      client.pop({ topics: [topic], timeout: 999 }),
      client.pop({ topics: [] }),
    ];
    for (const call of bad) expect((await rejection(call)).code).toBe(Code.InvalidArgument);
  });

  it("cancels a parked pop through its signal at once, and the pop takes no job", async () => {
    const abort = new AbortController();
    const started = performance.now();
    const parked = client.pop({ topics: [topic], timeout: 60 }, { signal: abort.signal });
    await waitUntil(() => dq.server.queue.waiting > 0, { message: "pop parked" });
    abort.abort();
    expect((await rejection(parked)).code).toBe(Code.Canceled);
    expect(performance.now() - started).toBeLessThan(3000);
    // The server notices the cancel and unparks; a job pushed now goes to the next pop.
    await waitUntil(() => dq.server.queue.waiting === 0, { message: "pop unparked" });
    await client.push({ topic, id: id("c"), ttr: 30 });
    expect(await client.pop({ topics: [topic], timeout: 1 })).toMatchObject({ attempts: 1 });
  });

  it("ends a parked pop at its per-call timeoutMs with deadline_exceeded, taking no job", async () => {
    const started = performance.now();
    const error = await rejection(client.pop({ topics: [topic], timeout: 30 }, { timeoutMs: 300 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(250);
    expect(elapsed).toBeLessThan(3000);
    await waitUntil(() => dq.server.queue.waiting === 0, { message: "pop unparked" });
    await client.push({ topic, id: id("t"), ttr: 30 });
    expect(await client.pop({ topics: [topic], timeout: 1 })).toMatchObject({ attempts: 1 });
  });

  it("stretches the client's timeoutMs by a pop's long-poll wait", async () => {
    const impatient = make({ baseUrl: dq.url, timeoutMs: 200 });
    const started = performance.now();
    expect(await impatient.pop({ topics: [topic], timeout: 0.6 })).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThan(500);
    // Other calls get the client's deadline as it is; a call's own timeoutMs wins.
    expect(await impatient.get({ id: id("none") })).toBeUndefined();
    const error = await rejection(
      impatient.pop({ topics: [topic], timeout: 5 }, { timeoutMs: 100 }),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
  });
});
