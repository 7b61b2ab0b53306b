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
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

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
  try {
    speed = speedFrom(args);
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
