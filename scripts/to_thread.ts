/**
 * `blocking_io` in a worker thread, gathered with a 1 s sleep: the blocking
 * call and the sleep overlap, so "started main" and "finished main" are
 * about 1 s apart, not 2 s, and the event loop stays free meanwhile.
 *
 * Mirrors the "Running in Threads" example of the asyncio documents:
 * `await asyncio.gather(asyncio.to_thread(blocking_io), asyncio.sleep(1))`,
 * where `blocking_io` calls `time.sleep(1)` between two
 * `time.strftime('%X')` prints. `toThread` runs the function in an isolate
 * of its own (a Web Worker): its source travels, not its closure, so it is
 * self-contained and takes what it needs as arguments. `Atomics.wait`
 * blocks that worker's thread the way `time.sleep` blocks a Python thread.
 *
 * Run: deno run --allow-read scripts/to_thread.ts [--speed 0.1]
 * (Workers load aio's worker module from disk, hence `--allow-read`.)
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { gather, runMain, sleep, toThread } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/to_thread.ts",
  shows:
    '`blocking_io` in a worker thread, gathered with a 1 s sleep: the blocking\ncall and the sleep overlap, so "started main" and "finished main" are\nabout 1 s apart, not 2 s, and the event loop stays free meanwhile.\n\nMirrors the "Running in Threads" example of the asyncio documents:\n`await asyncio.gather(asyncio.to_thread(blocking_io), asyncio.sleep(1))`,\nwhere `blocking_io` calls `time.sleep(1)` between two\n`time.strftime(\'%X\')` prints. `toThread` runs the function in an isolate\nof its own (a Web Worker): its source travels, not its closure, so it is\nself-contained and takes what it needs as arguments. `Atomics.wait`\nblocks that worker\'s thread the way `time.sleep` blocks a Python thread.',
  permissions: ["--allow-read"],
};

/** The wall clock as HH:MM:SS, like Python's `time.strftime('%X')`. */
function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

// Self-contained: it runs in a worker, where nothing around it exists.
function blockingIo(ms: number): void {
  const clock = (): string => new Date().toTimeString().slice(0, 8);
  console.log(`start blocking_io at ${clock()}`);
  // time.sleep(): blocks this worker's thread, not the event loop.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  console.log(`blocking_io complete at ${clock()}`);
}

async function main(): Promise<void> {
  console.log(`started main at ${clock()}`);

  await gather(
    () => toThread(blockingIo, scaled(1000)),
    () => sleep(scaled(1000)),
  );

  console.log(`finished main at ${clock()}`);
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
