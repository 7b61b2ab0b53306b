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
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

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
