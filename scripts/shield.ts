/**
 * Three ways to survive cancellation:
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
 * 3. The documents' idiom for ignoring cancellation altogether (which they
 *    do not recommend): `try: res = await shield(something())` /
 *    `except CancelledError: res = None`. The caller catches its
 *    `CancelledError`, sets `res = null` and returns it: a task that caught
 *    its cancellation and returned a value completes with that value
 *    (asyncio's rule), while the shielded work still finishes.
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
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/shield.ts",
  shows:
    "Three ways to survive cancellation:\n\n1. `shield` keeps work alive when its caller is cancelled: the caller gets\n   `CancelledError` at once, while `something()` runs on and still\n   delivers its result (42) 2 s after it started.\n2. A cancelled task cleans up its resource: it catches `CancelledError`,\n   closes the resource in `finally`, and re-throws so that the task ends\n   cancelled. aio's cancellation is level-triggered (Trio's rule): inside\n   a cancelled task every aio wait throws again, so this cleanup closes\n   synchronously, as Deno's `close()` calls do; cleanup that must await\n   goes in `await shield(() => cleanup(), { wait: true })`.\n3. The documents' idiom for ignoring cancellation altogether (which they\n   do not recommend): `try: res = await shield(something())` /\n   `except CancelledError: res = None`. The caller catches its\n   `CancelledError`, sets `res = null` and returns it: a task that caught\n   its cancellation and returned a value completes with that value\n   (asyncio's rule), while the shielded work still finishes.\n\nMirrors the \"Shielding from cancellation\" example of the asyncio\ndocuments (`res = await shield(something())`, which keeps `something()`\nrunning while the awaiting task raises `CancelledError`) and their advice\nto handle `CancelledError` so that resources are released properly.",
  permissions: [],
};

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

// 3. try { res = await shield(something()) } catch CancelledError: res = null.

async function ignoringCaller(work: Task<number>): Promise<number | null> {
  let res: number | null;
  try {
    res = await shield(work);
  } catch (error) {
    if (!isCancelled(error)) throw error;
    res = null; // Python's `except CancelledError: res = None`
  }
  console.log(`caller: CancelledError caught, res = ${res}`);
  return res;
}

async function ignoreDemo(): Promise<void> {
  const work = createTask(something, { name: "something" });
  const task = createTask(() => ignoringCaller(work), { name: "caller" });
  await sleep(scaled(1000));
  console.log("main: cancelling the caller");
  task.cancel();
  const res = await task; // No CancelledError: the caller returned a value.
  console.log(`main: caller returned ${res}, cancelled = ${task.cancelled()}`);
  console.log(`main: something() still returned ${await work}`);
}

async function main(): Promise<void> {
  console.log("== shield keeps work alive when its caller is cancelled");
  await shieldDemo();
  console.log("== a cancelled task cleans up its resource");
  await cleanupDemo();
  console.log("== ignoring cancellation: except CancelledError: res = None");
  await ignoreDemo();
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
