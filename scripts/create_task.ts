/**
 * `task_example` scheduled with `createTask` and awaited: prints
 * "Task started", then "Task finished" 2 s later.
 *
 * Mirrors the "Creating Tasks" example of the asyncio documents:
 * `task = asyncio.create_task(task_example()); await task`.
 *
 * Run: deno run scripts/create_task.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { createTask, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/create_task.ts",
  shows:
    '`task_example` scheduled with `createTask` and awaited: prints\n"Task started", then "Task finished" 2 s later.\n\nMirrors the "Creating Tasks" example of the asyncio documents:\n`task = asyncio.create_task(task_example()); await task`.',
  permissions: [],
};

async function taskExample(): Promise<void> {
  console.log("Task started");
  await sleep(scaled(2000));
  console.log("Task finished");
}

async function main(): Promise<void> {
  // The task starts on a later turn, as asyncio's do; awaiting it waits for it.
  const task = createTask(taskExample, { name: "task_example" });
  await task;
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
