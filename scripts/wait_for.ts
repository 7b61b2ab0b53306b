/**
 * Timeouts with `waitFor`:
 *
 * 1. `eternity()` sleeps an hour under a 1 s limit: after about 1 s the
 *    sleep is cancelled and "timeout!" is printed (its last line never is).
 * 2. `fetch_data_with_timeout` waits at most 5 s for `some_io_task`,
 *    handles the timeout and always cleans up in `finally`: once with an
 *    answer after 1 s, once with none within 5 s.
 *
 * Mirrors the "Timeouts with asyncio.wait_for(aw, timeout)" example of the
 * asyncio documents (`await asyncio.wait_for(eternity(), timeout=1.0)`,
 * `except asyncio.TimeoutError: print('timeout!')`) and their
 * `fetch_data_with_timeout` (`wait_for(some_io_task(), timeout=5)`,
 * `handle_timeout()`, `finally: cleanup_resources()`).
 *
 * Run: deno run scripts/wait_for.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { runMain, sleep, TimeoutError, waitFor } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/wait_for.ts",
  shows:
    'Timeouts with `waitFor`:\n\n1. `eternity()` sleeps an hour under a 1 s limit: after about 1 s the\n   sleep is cancelled and "timeout!" is printed (its last line never is).\n2. `fetch_data_with_timeout` waits at most 5 s for `some_io_task`,\n   handles the timeout and always cleans up in `finally`: once with an\n   answer after 1 s, once with none within 5 s.\n\nMirrors the "Timeouts with asyncio.wait_for(aw, timeout)" example of the\nasyncio documents (`await asyncio.wait_for(eternity(), timeout=1.0)`,\n`except asyncio.TimeoutError: print(\'timeout!\')`) and their\n`fetch_data_with_timeout` (`wait_for(some_io_task(), timeout=5)`,\n`handle_timeout()`, `finally: cleanup_resources()`).',
  permissions: [],
};

// 1. eternity() under a 1 s timeout.

async function eternity(): Promise<void> {
  await sleep(scaled(3_600_000)); // Sleep for an hour.
  console.log("Can you sleep longer than this?");
}

async function eternityDemo(): Promise<void> {
  try {
    await waitFor(eternity, scaled(1000));
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log("timeout!");
  }
}

// 2. fetch_data_with_timeout(): a timeout, its handler, and cleanup.

async function someIoTask(answerAfterMs: number): Promise<string> {
  await sleep(scaled(answerAfterMs));
  return `data after ${answerAfterMs} ms`;
}

function handleTimeout(): void {
  console.log("handle_timeout: no answer within 5000 ms");
}

function cleanupResources(): void {
  console.log("cleanup_resources");
}

async function fetchDataWithTimeout(
  answerAfterMs: number,
): Promise<string | undefined> {
  try {
    // Wait for at most 5 seconds.
    return await waitFor(() => someIoTask(answerAfterMs), scaled(5000));
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    handleTimeout(); // The I/O task took too long.
    return undefined;
  } finally {
    cleanupResources(); // Runs on success, timeout and error alike.
  }
}

async function main(): Promise<void> {
  await eternityDemo();
  console.log(`fetch_data_with_timeout: ${await fetchDataWithTimeout(1000)}`);
  console.log(`fetch_data_with_timeout: ${await fetchDataWithTimeout(60_000)}`);
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
