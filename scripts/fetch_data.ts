/**
 * Two `fetch_data` tasks awaited in turn: both print "Start fetching
 * data...", then both print "Data fetched!" about 2 s later (not 4 s): the
 * simulated network delays overlap.
 *
 * Mirrors the "Creating Tasks" example of the concurrency document:
 * `task1 = asyncio.create_task(fetch_data())`, the same for `task2`, then
 * `await task1; await task2`, where `fetch_data` sleeps 2 s.
 *
 * Run: deno run scripts/fetch_data.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { createTask, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/fetch_data.ts",
  shows:
    'Two `fetch_data` tasks awaited in turn: both print "Start fetching\ndata...", then both print "Data fetched!" about 2 s later (not 4 s): the\nsimulated network delays overlap.\n\nMirrors the "Creating Tasks" example of the concurrency document:\n`task1 = asyncio.create_task(fetch_data())`, the same for `task2`, then\n`await task1; await task2`, where `fetch_data` sleeps 2 s.',
  permissions: [],
};

async function fetchData(): Promise<void> {
  console.log("Start fetching data...");
  await sleep(scaled(2000)); // Simulate a network delay.
  console.log("Data fetched!");
}

async function main(): Promise<void> {
  const task1 = createTask(fetchData, { name: "fetch_data-1" });
  const task2 = createTask(fetchData, { name: "fetch_data-2" });
  await task1;
  await task2;
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
