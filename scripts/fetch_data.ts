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
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

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
