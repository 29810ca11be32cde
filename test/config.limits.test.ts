import { describe, expect, it } from "vitest";
import { createLogger } from "../src/commands/index.js";
import { ConfigError, loadConfig, parseIni, toServerOptions } from "../src/config/index.js";

const silent = createLogger("silent");
const limitsOf = (env: Record<string, string>, argv: string[] = []) =>
  toServerOptions(loadConfig({ env, argv }), silent).queue.limits;

describe("max_waiting_pops and max_pop_timeout", () => {
  it("default to 10000 long-polls and 180 s", () => {
    const config = loadConfig();
    expect(config).toMatchObject({ maxWaitingPops: 10_000, maxPopTimeoutSeconds: 180 });
    expect(limitsOf({})).toMatchObject({ maxWaitingPops: 10_000, maxPopTimeoutMs: 180_000 });
  });

  it("are read from DQ_MAX_WAITING_POPS / DQ_MAX_POP_TIMEOUT, and flags win", () => {
    expect(limitsOf({ DQ_MAX_WAITING_POPS: "500", DQ_MAX_POP_TIMEOUT: "60" })).toMatchObject({
      maxWaitingPops: 500,
      maxPopTimeoutMs: 60_000,
    });
    const flags = ["--max-waiting-pops", "7", "--max-pop-timeout=30"];
    expect(limitsOf({ DQ_MAX_WAITING_POPS: "500" }, flags)).toMatchObject({
      maxWaitingPops: 7,
      maxPopTimeoutMs: 30_000,
    });
  });

  it("are ini keys", () => {
    const file = parseIni("max_waiting_pops = 42 ; per process\nmax_pop_timeout = 20\n", "dq.conf");
    expect(file.layer.max_waiting_pops?.value).toBe("42");
    expect(file.layer.max_pop_timeout?.value).toBe("20");
    expect(file.notices).toEqual([]);
  });

  it("lowers the default legacy block timeout (178 s) to max_pop_timeout", () => {
    const options = toServerOptions(loadConfig({ env: { DQ_MAX_POP_TIMEOUT: "60" } }), silent);
    expect(options.legacyPopTimeoutSeconds).toBe(60);
  });

  it("refuses a queue_block_timeout set above max_pop_timeout, naming both", () => {
    const load = () =>
      loadConfig({ env: { DQ_MAX_POP_TIMEOUT: "60", DQ_QUEUE_BLOCK_TIMEOUT: "90" } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      "DQ_QUEUE_BLOCK_TIMEOUT 90 (environment) is above DQ_MAX_POP_TIMEOUT 60 (environment): legacy pops would be refused",
    );
  });

  it.each([
    ["DQ_MAX_WAITING_POPS", "0", "expected a whole number from 1 to 1000000"],
    ["DQ_MAX_WAITING_POPS", "lots", "expected a whole number from 1 to 1000000"],
    ["DQ_MAX_POP_TIMEOUT", "181", "expected a whole number from 0 to 180"],
  ])("refuses %s=%s", (name, value, expected) => {
    expect(() => loadConfig({ env: { [name]: value } })).toThrow(expected);
  });
});
