/**
 * One coroutine run by the event loop: `fetch_data` prints
 * "Start fetching data...", waits 2 s (a simulated network delay) and
 * prints "Data fetched!".
 *
 * Mirrors the "Running the Event Loop" example of the asyncio documents:
 * `asyncio.run(fetch_data())`, with `fetch_data` as defined under
 * "Defining Coroutines". (`scripts/fetch_data.ts` is the next example: two
 * such tasks at once.)
 *
 * Run: deno run scripts/fetch_data_once.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/fetch_data_once.ts",
  shows: `One coroutine run by the event loop: fetch_data prints "Start fetching
data...", waits 2 s (a simulated network delay), prints "Data fetched!".
Mirrors asyncio.run(fetch_data()).`,
  permissions: [],
};

async function fetchData(): Promise<void> {
  console.log("Start fetching data...");
  await sleep(scaled(2000)); // Simulate a network delay
  console.log("Data fetched!");
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
  return await runMain(fetchData);
}

if (import.meta.main) await cli(Deno.args);
