import { readdirSync, readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import type { TurnWrites } from "./turn-writes.js";

const scriptsDir = new URL("./scripts/", import.meta.url);
const includePattern = /^--- @include "([^"]+)"$/gm;

/** One Lua script, ready for `defineCommand`. */
export interface ScriptSource {
  /** Command name on the client, e.g. `dqPush` for `push-4.lua`, `dqPushBatch` for `push-batch-3.lua`. */
  name: string;
  /** KEYS count from the file name's `-N`; undefined when the caller passes it. */
  numberOfKeys: number | undefined;
  lua: string;
}

function inline(source: string, seen: Set<string>): string {
  return source.replace(includePattern, (_line, path: string) => {
    if (seen.has(path)) return "";
    seen.add(path);
    return inline(readFileSync(new URL(`${path}.lua`, scriptsDir), "utf8"), seen);
  });
}

/** Reads every `scripts/*.lua` once, with its `--- @include` lines inlined. */
export function readScripts(): ScriptSource[] {
  return readdirSync(scriptsDir)
    .filter((file) => file.endsWith(".lua"))
    .map((file) => {
      const match = /^(.+?)(?:-(\d+))?\.lua$/.exec(file);
      if (!match?.[1]) throw new Error(`unexpected script name ${file}`);
      const base = match[1];
      return {
        name: `dq${base.replace(/(^|-)(\w)/g, (_m, _dash, c: string) => c.toUpperCase())}`,
        numberOfKeys: match[2] === undefined ? undefined : Number(match[2]),
        lua: inline(readFileSync(new URL(file, scriptsDir), "utf8"), new Set()),
      };
    });
}

let cached: ScriptSource[] | undefined;

type Command = (...args: unknown[]) => Promise<unknown>;

/**
 * Defines every script on `redis` as a command (ioredis then calls them by
 * SHA) and returns them, plus their `…Buffer` forms, as functions that go
 * through `writes` so the calls of one turn leave in one socket write.
 */
export function defineScripts(redis: Redis, writes: TurnWrites): Record<string, Command> {
  cached ??= readScripts();
  const commands: Record<string, Command> = {};
  const client = redis as unknown as Record<string, Command>;
  for (const script of cached) {
    redis.defineCommand(
      script.name,
      script.numberOfKeys === undefined
        ? { lua: script.lua }
        : { lua: script.lua, numberOfKeys: script.numberOfKeys },
    );
    for (const name of [script.name, `${script.name}Buffer`]) {
      const command = client[name] as Command;
      commands[name] = (...args) => {
        writes.hold();
        return command.apply(redis, args);
      };
    }
  }
  return commands;
}
