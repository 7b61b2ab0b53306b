/**
 * A `Future` resolved by another task after 2 s: prints "Future is done".
 *
 * Mirrors the "Anticipate Futures" example of the asyncio documents:
 * `fut = asyncio.Future()`, `await asyncio.gather(set_future(fut))`, then
 * `print(fut.result())`.
 *
 * Run: deno run scripts/set_future.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { Future, gather, runMain, sleep } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/set_future.ts",
  shows:
    'A `Future` resolved by another task after 2 s: prints "Future is done".\n\nMirrors the "Anticipate Futures" example of the asyncio documents:\n`fut = asyncio.Future()`, `await asyncio.gather(set_future(fut))`, then\n`print(fut.result())`.',
  permissions: [],
};

async function setFuture(fut: Future<string>): Promise<void> {
  await sleep(scaled(2000));
  fut.setResult("Future is done");
}

async function main(): Promise<void> {
  const fut = new Future<string>();
  await gather(() => setFuture(fut));
  // The future is done by now, so result() returns at once (or throws).
  console.log(fut.result());
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
