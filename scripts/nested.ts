/**
 * `nested()` returns 42: a call that is never awaited has no effect, an
 * awaited one prints 42.
 *
 * Mirrors the "Awaitables" example of the asyncio documents:
 * `nested()` (a coroutine object that never runs) then
 * `print(await nested())`.
 *
 * One difference from Python: calling a JavaScript `async` function runs its
 * body at once, up to its first `await`; it returns a promise, not a paused
 * coroutine. The aio counterpart of "a coroutine object nobody awaits" is a
 * task function nobody hands to `createTask`, `gather` or a task group:
 * defining it runs nothing. And a task cancelled before its first turn never
 * runs its body, because aio tasks start lazily, as asyncio's do.
 *
 * Run: deno run scripts/nested.ts [--speed 0.1]
 * (The flag is accepted for uniformity: nothing here sleeps.)
 *
 * @module
 */

import { createTask, runMain } from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/nested.ts",
  shows:
    '`nested()` returns 42: a call that is never awaited has no effect, an\nawaited one prints 42.\n\nMirrors the "Awaitables" example of the asyncio documents:\n`nested()` (a coroutine object that never runs) then\n`print(await nested())`.\n\nOne difference from Python: calling a JavaScript `async` function runs its\nbody at once, up to its first `await`; it returns a promise, not a paused\ncoroutine. The aio counterpart of "a coroutine object nobody awaits" is a\ntask function nobody hands to `createTask`, `gather` or a task group:\ndefining it runs nothing. And a task cancelled before its first turn never\nruns its body, because aio tasks start lazily, as asyncio\'s do.',
  permissions: [],
  sleeps: false,
};

let calls = 0;

// deno-lint-ignore require-await
async function nested(): Promise<number> {
  calls++;
  return 42;
}

async function main(): Promise<void> {
  // A task function that is only defined, never started: nothing happens.
  const coroutine = (): Promise<number> => nested();
  void coroutine;

  // A task created and cancelled before its first turn never runs either.
  createTask(nested, { name: "never-started" }).cancel();

  // Let's await now: prints 42, and nested() ran exactly once.
  console.log(await nested());
  if (calls !== 1) {
    throw new Error(`nested() ran ${calls} times, expected once`);
  }
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
