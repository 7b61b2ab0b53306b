/**
 * Errors in tasks, in the three forms the asyncio documents show:
 *
 * 1. `error_task` throws; the error is caught around `await task`
 *    ("Caught an exception: An example error").
 * 2. `fetch_data` catches an I/O error from `some_io_task`, logs it and
 *    returns nothing.
 * 3. Exception handling around running the loop itself, with the cleanup in
 *    `finally`.
 *
 * Mirrors the "Exception Handling" example (`error_task` raising
 * `ValueError`, `except ValueError as e`), the "Error Handling" example
 * (`fetch_data` with `except IOError as e: log_error(e)`) and the
 * "Managing Asyncio's Event Loop" example
 * (`try: loop.run_until_complete(main()) except Exception as e: log_error(e)
 * finally: loop.close()`). JavaScript has no `ValueError`: a value out of
 * range is a `RangeError`. Deno's I/O errors are the classes in
 * `Deno.errors`; `some_io_task` fails with one of them
 * (`ConnectionReset`) after a short simulated delay, so the script needs no
 * permissions.
 *
 * Run: deno run scripts/error_handling.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import {
  createTask,
  type EventLoop,
  getRunningLoop,
  run,
  runMain,
  sleep,
} from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/error_handling.ts",
  shows:
    'Errors in tasks, in the three forms the asyncio documents show:\n\n1. `error_task` throws; the error is caught around `await task`\n   ("Caught an exception: An example error").\n2. `fetch_data` catches an I/O error from `some_io_task`, logs it and\n   returns nothing.\n3. Exception handling around running the loop itself, with the cleanup in\n   `finally`.\n\nMirrors the "Exception Handling" example (`error_task` raising\n`ValueError`, `except ValueError as e`), the "Error Handling" example\n(`fetch_data` with `except IOError as e: log_error(e)`) and the\n"Managing Asyncio\'s Event Loop" example\n(`try: loop.run_until_complete(main()) except Exception as e: log_error(e)\nfinally: loop.close()`). JavaScript has no `ValueError`: a value out of\nrange is a `RangeError`. Deno\'s I/O errors are the classes in\n`Deno.errors`; `some_io_task` fails with one of them\n(`ConnectionReset`) after a short simulated delay, so the script needs no\npermissions.',
  permissions: [],
};

// 1. An error raised in a task reaches whoever awaits the task.

// deno-lint-ignore require-await
async function errorTask(): Promise<never> {
  throw new RangeError("An example error");
}

async function catchTaskError(): Promise<void> {
  const task = createTask(errorTask, { name: "error_task" });
  try {
    await task;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    console.log(`Caught an exception: ${error.message}`);
  }
}

// 2. A coroutine handles the I/O errors it expects and lets others through.

/** Whether `error` is one of Deno's I/O errors (the analog of `IOError`). */
function isIoError(error: unknown): error is Error {
  return Object.values(Deno.errors).some((kind) => error instanceof kind);
}

function logError(error: unknown): void {
  const text = error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
  console.log(`log_error: ${text}`);
}

async function someIoTask(): Promise<string> {
  await sleep(scaled(100)); // The request goes out...
  throw new Deno.errors.ConnectionReset("connection reset by peer");
}

async function fetchData(): Promise<string | undefined> {
  try {
    return await someIoTask();
  } catch (error) {
    if (!isIoError(error)) throw error;
    logError(error); // Handle I/O errors; anything else propagates.
    return undefined;
  }
}

async function main(): Promise<void> {
  await catchTaskError();
  const data = await fetchData();
  console.log(`fetch_data returned ${data}`);
}

// 3. Errors that escape `main` surface where the loop is run; cleanup goes
// in `finally`. `run()` opens the loop and closes it itself.

let loop: EventLoop | undefined;

async function failingMain(): Promise<void> {
  loop = getRunningLoop();
  await sleep(scaled(100));
  throw new Error("main failed after 100 ms");
}

async function runLoopWithHandler(): Promise<void> {
  try {
    await run(failingMain);
  } catch (error) {
    logError(error); // Handle exceptions that occurred during the loop's run.
  } finally {
    console.log(`finally: loop closed (isRunning() = ${loop?.isRunning()})`);
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
  const code = await runMain(main);
  if (code !== 0) return code;
  // This part runs the loop itself, so it stands outside runMain's loop.
  await runLoopWithHandler();
  return code;
}

if (import.meta.main) await cli(Deno.args);
