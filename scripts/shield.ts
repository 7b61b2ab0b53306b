/**
 * Two ways to survive cancellation:
 *
 * 1. `shield` keeps work alive when its caller is cancelled: the caller gets
 *    `CancelledError` at once, while `something()` runs on and still
 *    delivers its result (42) 2 s after it started.
 * 2. A cancelled task cleans up its resource: it catches `CancelledError`,
 *    closes the resource in `finally`, and re-throws so that the task ends
 *    cancelled. aio's cancellation is level-triggered (Trio's rule): inside
 *    a cancelled task every aio wait throws again, so this cleanup closes
 *    synchronously, as Deno's `close()` calls do; cleanup that must await
 *    goes in `await shield(() => cleanup(), { wait: true })`.
 *
 * Mirrors the "Shielding from cancellation" example of the asyncio
 * documents (`res = await shield(something())`, which keeps `something()`
 * running while the awaiting task raises `CancelledError`) and their advice
 * to handle `CancelledError` so that resources are released properly.
 *
 * Run: deno run scripts/shield.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import {
  createTask,
  isCancelled,
  runMain,
  shield,
  sleep,
  type Task,
} from "@seed/aio";
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

// 1. shield(): the caller is cancelled, the shielded work is not.

async function something(): Promise<number> {
  console.log("something: started");
  await sleep(scaled(2000));
  console.log("something: finished");
  return 42;
}

async function caller(work: Task<number>): Promise<number> {
  try {
    return await shield(work);
  } catch (error) {
    if (isCancelled(error)) {
      console.log("caller: cancelled; the shielded work keeps running");
    }
    throw error;
  }
}

async function shieldDemo(): Promise<void> {
  const work = createTask(something, { name: "something" });
  const task = createTask(() => caller(work), { name: "caller" });
  await sleep(scaled(1000));
  console.log("main: cancelling the caller");
  task.cancel();
  try {
    await task;
  } catch (error) {
    if (!isCancelled(error)) throw error;
    console.log(`main: caller cancelled = ${task.cancelled()}`);
  }
  console.log(`main: something() still returned ${await work}`);
}

// 2. Cancellation handled with resource cleanup.

class Resource {
  constructor() {
    console.log("worker: opened the resource");
  }

  close(): void {
    console.log("worker: resource closed");
  }
}

async function worker(): Promise<never> {
  const resource = new Resource();
  try {
    for (let tick = 1;; tick++) {
      await sleep(scaled(500));
      console.log(`worker: tick ${tick}`);
    }
  } catch (error) {
    if (isCancelled(error)) {
      console.log("worker: cancelled, closing the resource");
    }
    throw error; // Re-throw: the task should end cancelled.
  } finally {
    resource.close();
  }
}

async function cleanupDemo(): Promise<void> {
  const task = createTask(worker, { name: "worker" });
  await sleep(scaled(1250));
  console.log("main: cancelling the worker");
  task.cancel();
  try {
    await task;
  } catch (error) {
    if (!isCancelled(error)) throw error;
    console.log(`main: worker cancelled = ${task.cancelled()}`);
  }
}

async function main(): Promise<void> {
  console.log("== shield keeps work alive when its caller is cancelled");
  await shieldDemo();
  console.log("== a cancelled task cleans up its resource");
  await cleanupDemo();
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
