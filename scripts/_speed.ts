/**
 * What every example script shares: its command line (`--speed`, `--help`,
 * its own flags), so that the fourteen scripts do not each carry a copy.
 * Each script still runs on its own with `deno run`; this file is imported,
 * never run.
 *
 * `--speed X` (or env `AIO_SPEED`, read only with `--allow-env=AIO_SPEED`)
 * scales every sleep of the asyncio example: `0.1` runs it ten times faster,
 * the default `1` keeps the documents' timing. A script reads its scaled
 * durations through {@linkcode scaled}.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";

/** What a script tells `--help`. */
export interface ScriptInfo {
  /** The script's path from the repository root, e.g. `scripts/say_hello.ts`. */
  script: string;
  /** What it shows, and the asyncio example it mirrors (a few lines). */
  shows: string;
  /** `deno run` permission flags it needs; empty for none. */
  permissions: string[];
  /**
   * Its own flags, besides `--speed` and `--help`: `"--file PATH"` takes a
   * value, `"--fast"` is a switch; the value is the description.
   */
  flags?: Record<string, string>;
  /** Whether it sleeps at all (else `--speed` is accepted and changes nothing). */
  sleeps?: boolean;
}

/** A script's parsed command line. */
export interface ScriptArgs {
  /** The speed factor (also what {@linkcode scaled} uses from now on). */
  speed: number;
  /** Values of the script's own flags that take one (undefined when absent). */
  values: Record<string, string | undefined>;
  /** The script's own switches. */
  switches: Record<string, boolean>;
}

let factor = 1;

/**
 * A duration from the asyncio example, scaled by the speed factor.
 *
 * @param ms The example's duration in milliseconds.
 * @returns The duration to sleep.
 */
export function scaled(ms: number): number {
  return ms * factor;
}

function flagName(spec: string): { name: string; takesValue: boolean } {
  const [flag, value] = spec.split(" ");
  return { name: flag.replace(/^--/, ""), takesValue: value !== undefined };
}

/**
 * The `--help` text of a script.
 *
 * @param info What the script tells.
 * @returns The text, without a final newline.
 */
export function helpText(info: ScriptInfo): string {
  const own = Object.entries(info.flags ?? {});
  const usage = [
    "deno run",
    ...info.permissions,
    info.script,
    ...own.map(([spec]) => `[${spec}]`),
    "[--speed X]",
  ].join(" ");
  const rows: [string, string][] = [
    ...own,
    [
      "--speed X",
      info.sleeps === false
        ? "accepted like every script's; nothing here sleeps"
        : "scale every sleep by X (0.1: ten times faster; env AIO_SPEED with --allow-env=AIO_SPEED)",
    ],
    ["--help", "this text"],
  ];
  const width = Math.max(...rows.map(([spec]) => spec.length));
  return [
    `usage: ${usage}`,
    "",
    info.shows.trim(),
    "",
    "Flags:",
    ...rows.map(([spec, text]) => `  ${spec.padEnd(width)}  ${text}`),
    "",
    `Permissions: ${
      info.permissions.length === 0
        ? "none (plain `deno run`)"
        : info.permissions.join(" ")
    }`,
    "Where JSR is unreachable, add --import-map compat/import_map.json (deno task run FILE does it).",
  ].join("\n");
}

/**
 * Parses a script's command line. `--help` prints the help and gives 0; a
 * bad flag or value prints `error: …` to stderr and gives 2: return that
 * number as the exit code.
 *
 * @param args The command-line arguments.
 * @param info What the script tells `--help`, with its own flags.
 * @returns The parsed arguments, or an exit code.
 */
export function scriptArgs(
  args: string[],
  info: ScriptInfo,
): ScriptArgs | number {
  const own = Object.keys(info.flags ?? {}).map(flagName);
  const strings = own.filter((f) => f.takesValue).map((f) => f.name);
  const booleans = own.filter((f) => !f.takesValue).map((f) => f.name);
  try {
    const flags = parseArgs(args, {
      string: ["speed", ...strings],
      boolean: ["help", ...booleans],
      unknown: (arg) => {
        throw new TypeError(`Unknown argument: ${arg}`);
      },
    }) as Record<string, unknown>;
    if (flags.help === true) {
      console.log(helpText(info));
      return 0;
    }
    const text = (flags.speed as string | undefined) ?? envSpeed() ?? "1";
    const speed = Number(text);
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new RangeError(`--speed must be a positive number, got "${text}"`);
    }
    factor = speed;
    const values: Record<string, string | undefined> = {};
    for (const name of strings) {
      values[name] = flags[name] as string | undefined;
    }
    const switches: Record<string, boolean> = {};
    for (const name of booleans) switches[name] = flags[name] === true;
    return { speed, values, switches };
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }
}

/** AIO_SPEED, when this process may read it (no prompt otherwise). */
function envSpeed(): string | undefined {
  const env = Deno.permissions.querySync({
    name: "env",
    variable: "AIO_SPEED",
  });
  return env.state === "granted" ? Deno.env.get("AIO_SPEED") : undefined;
}
