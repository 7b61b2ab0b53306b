/**
 * The event-loop style, mapped onto aio:
 *
 * 1. "Get a loop, run `main` until it completes, close the loop" is one call,
 *    `run(main)`: it opens a loop, runs `main` to completion, cancels what
 *    is left, and closes the loop, even when `main` throws.
 * 2. `run_forever()` until `stop()`: inside `run`, the loop's callbacks
 *    (`callSoon`, `callLater`) tick once a second, and `stop()` settles the
 *    future that `main` waits on; after the third tick the loop stops.
 *
 * Mirrors the asyncio documents' `loop = asyncio.get_event_loop();
 * loop.run_until_complete(main()); loop.close()` and
 * `asyncio.new_event_loop()` / `loop.run_forever()` / `loop.stop()`. aio
 * has no loop to create or drive by hand: each `run` owns one, reachable
 * inside it through `getRunningLoop()` (`asyncio.get_running_loop()`), and
 * `set_event_loop` has nothing to map to.
 *
 * Run: deno run scripts/event_loop.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { type EventLoop, getRunningLoop, run, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/event_loop.ts",
  shows:
    "The event-loop style, mapped onto aio:\n\n1. \"Get a loop, run `main` until it completes, close the loop\" is one call,\n   `run(main)`: it opens a loop, runs `main` to completion, cancels what\n   is left, and closes the loop, even when `main` throws.\n2. `run_forever()` until `stop()`: inside `run`, the loop's callbacks\n   (`callSoon`, `callLater`) tick once a second, and `stop()` settles the\n   future that `main` waits on; after the third tick the loop stops.\n\nMirrors the asyncio documents' `loop = asyncio.get_event_loop();\nloop.run_until_complete(main()); loop.close()` and\n`asyncio.new_event_loop()` / `loop.run_forever()` / `loop.stop()`. aio\nhas no loop to create or drive by hand: each `run` owns one, reachable\ninside it through `getRunningLoop()` (`asyncio.get_running_loop()`), and\n`set_event_loop` has nothing to map to.",
  permissions: [],
};

// 1. run_until_complete(main()), then close().

let loop: EventLoop | undefined;

async function someTask(): Promise<void> {
  await sleep(scaled(1000));
}

async function runUntilComplete(): Promise<void> {
  loop = getRunningLoop();
  console.log(
    `run_until_complete: main started, loop running = ${loop.isRunning()}`,
  );
  await someTask();
  console.log("run_until_complete: main finished");
}

// 2. run_forever() until stop().

async function runForever(): Promise<void> {
  const loop = getRunningLoop();
  const stopped = loop.createFuture<number>();
  const stop = (ticks: number): void => stopped.setResult(ticks);
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    console.log(`run_forever: tick ${ticks}`);
    if (ticks === 3) stop(ticks);
    else loop.callLater(scaled(1000), tick);
  };
  loop.callSoon(tick);
  const count = await stopped; // "run_forever()": returns once stop() is called.
  console.log(`stop(): run_forever returned after ${count} ticks`);
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
  // loop = get_event_loop(); loop.run_until_complete(main()); loop.close()
  await run(runUntilComplete);
  console.log(`loop closed: running = ${loop?.isRunning()}`);
  // A second loop, run until stop() is called; SIGINT cancels it cleanly.
  return await runMain(runForever);
}

if (import.meta.main) await cli(Deno.args);
