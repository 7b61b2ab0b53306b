/**
 * `display_date`: print the date and time once a second and stop after
 * about 5 s, reading the loop's clock with `getRunningLoop().time()`
 * (five lines, about 1 s apart).
 *
 * Mirrors the "Sleeping" example of the asyncio documents:
 * `loop = asyncio.get_running_loop(); end_time = loop.time() + 5.0`, then
 * print `datetime.datetime.now()` and `await asyncio.sleep(1)` until
 * `loop.time() + 1.0 >= end_time`. The loop's clock counts milliseconds.
 *
 * Run: deno run scripts/display_date.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { getRunningLoop, runMain, sleep } from "@seed/aio";
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

/** Local date and time like Python's `str(datetime.now())`. */
function datetimeNow(): string {
  const epochMs = performance.timeOrigin + performance.now();
  const d = new Date(epochMs);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const micros = Math.floor((epochMs % 1000) * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.` +
    pad(micros, 6);
}

async function displayDate(): Promise<void> {
  const loop = getRunningLoop();
  const endTime = loop.time() + scaled(5000);
  while (true) {
    console.log(datetimeNow());
    if (loop.time() + scaled(1000) >= endTime) break;
    await sleep(scaled(1000));
  }
}

const main = displayDate;

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
