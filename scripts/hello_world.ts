/**
 * The simplest coroutine: print "hello", sleep 1 s, print "world".
 *
 * Mirrors the "Coroutines" example of the asyncio documents:
 * `async def main(): print('hello'); await asyncio.sleep(1); print('world')`
 * run with `asyncio.run(main())`.
 *
 * Run: deno run scripts/hello_world.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/hello_world.ts",
  shows:
    'The simplest coroutine: print "hello", sleep 1 s, print "world".\n\nMirrors the "Coroutines" example of the asyncio documents:\n`async def main(): print(\'hello\'); await asyncio.sleep(1); print(\'world\')`\nrun with `asyncio.run(main())`.',
  permissions: [],
};

async function main(): Promise<void> {
  console.log("hello");
  await sleep(scaled(1000));
  console.log("world");
}

/**
 * Runs the example with command-line flags (`--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
