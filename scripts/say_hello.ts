/**
 * `say_hello` and `say_world` gathered: two 1 s sleeps that finish together,
 * after about 1 s, not 2 s. Prints "Hello" then "World".
 *
 * Mirrors asyncio's "Basic Usage" example:
 * `await asyncio.gather(say_hello(), say_world())` inside `asyncio.run(main())`.
 *
 * Run: deno run scripts/say_hello.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { gather, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/say_hello.ts",
  shows:
    '`say_hello` and `say_world` gathered: two 1 s sleeps that finish together,\nafter about 1 s, not 2 s. Prints "Hello" then "World".\n\nMirrors asyncio\'s "Basic Usage" example:\n`await asyncio.gather(say_hello(), say_world())` inside `asyncio.run(main())`.',
  permissions: [],
};

async function sayHello(): Promise<void> {
  await sleep(scaled(1000));
  console.log("Hello");
}

async function sayWorld(): Promise<void> {
  await sleep(scaled(1000));
  console.log("World");
}

async function main(): Promise<void> {
  // gather runs each function as a child task: both sleeps overlap.
  await gather(sayHello, sayWorld);
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
