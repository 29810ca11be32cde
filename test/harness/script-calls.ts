import type { Redis } from "ioredis";

/**
 * Script calls the server has run so far, from `INFO commandstats`: a script's
 * first call is an EVAL (after NOSCRIPT), later ones EVALSHA, so both count.
 */
export async function scriptCalls(admin: Redis): Promise<number> {
  const stats = await admin.info("commandstats");
  const calls = (command: string) =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return calls("eval") + calls("evalsha");
}
