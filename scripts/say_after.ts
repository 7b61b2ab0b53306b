/**
 * `say_after` in two tasks: "hello" after 1 s, "world" after 2 s, between
 * "started at" and "finished at" wall-clock stamps (HH:MM:SS) that are about
 * 2 s apart, not 3 s: the tasks run concurrently.
 *
 * Mirrors the `asyncio.create_task()` example of the asyncio documents:
 * `task1 = asyncio.create_task(say_after(1, 'hello'))`, the same for 2 s and
 * 'world', then `await task1; await task2` between two
 * `time.strftime('%X')` prints.
 *
 * Run: deno run scripts/say_after.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { createTask, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/say_after.ts",
  shows:
    '`say_after` in two tasks: "hello" after 1 s, "world" after 2 s, between\n"started at" and "finished at" wall-clock stamps (HH:MM:SS) that are about\n2 s apart, not 3 s: the tasks run concurrently.\n\nMirrors the `asyncio.create_task()` example of the asyncio documents:\n`task1 = asyncio.create_task(say_after(1, \'hello\'))`, the same for 2 s and\n\'world\', then `await task1; await task2` between two\n`time.strftime(\'%X\')` prints.',
  permissions: [],
};

/** The wall clock as HH:MM:SS, like Python's `time.strftime('%X')`. */
function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

async function sayAfter(delayMs: number, what: string): Promise<void> {
  await sleep(scaled(delayMs));
  console.log(what);
}

async function main(): Promise<void> {
  const task1 = createTask(() => sayAfter(1000, "hello"));
  const task2 = createTask(() => sayAfter(2000, "world"));

  console.log(`started at ${clock()}`);

  // Wait on the completion of both tasks: about 2 s in all, not 3 s.
  await task1;
  await task2;

  console.log(`finished at ${clock()}`);
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
