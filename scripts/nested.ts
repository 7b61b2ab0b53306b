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
import { parseArgs } from "@std/cli/parse-args";

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
  try {
    speedFrom(args); // Checked for uniformity; nothing here sleeps.
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return Deno.exitCode = 2;
  }
  return await runMain(main);
}

/** The speed factor from `--speed`, else env AIO_SPEED (when readable), else 1. */
function speedFrom(args: string[]): number {
  const flags = parseArgs(args, {
    string: ["speed"],
    unknown: (arg) => {
      throw new TypeError(`Unknown argument: ${arg}`);
    },
  });
  const env = Deno.permissions.querySync({
    name: "env",
    variable: "AIO_SPEED",
  });
  const text = flags.speed ??
    (env.state === "granted" ? Deno.env.get("AIO_SPEED") : undefined) ?? "1";
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`--speed must be a positive number, got "${text}"`);
  }
  return value;
}

if (import.meta.main) await cli(Deno.args);
