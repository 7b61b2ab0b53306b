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
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/display_date.ts",
  shows:
    "`display_date`: print the date and time once a second and stop after\nabout 5 s, reading the loop's clock with `getRunningLoop().time()`\n(five lines, about 1 s apart).\n\nMirrors the \"Sleeping\" example of the asyncio documents:\n`loop = asyncio.get_running_loop(); end_time = loop.time() + 5.0`, then\nprint `datetime.datetime.now()` and `await asyncio.sleep(1)` until\n`loop.time() + 1.0 >= end_time`. The loop's clock counts milliseconds.",
  permissions: [],
};

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
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
