/**
 * Three `factorial` tasks gathered with `returnExceptions`, plus a fourth
 * given a bad argument: the tasks interleave one step a second, and the
 * failure lands in the result list instead of being thrown:
 * `[2, TypeError(...), 6, 24]` after about 3 s.
 *
 * Mirrors the `asyncio.gather(*aws, return_exceptions=False)` example of
 * the asyncio documents: `factorial("A", 2)`, `factorial("E", "rashid")`,
 * `factorial("B", 3)`, `factorial("C", 4)` gathered with
 * `return_exceptions=True`, then `print(L)`. The list is printed the way
 * Python prints it.
 *
 * Run: deno run scripts/factorial.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import { gather, runMain, sleep } from "@seed/aio";
import { parseArgs } from "@std/cli/parse-args";

let speed = 1;

/** A duration from the asyncio example, scaled by the speed factor. */
function scaled(ms: number): number {
  return ms * speed;
}

async function factorial(name: string, number: number): Promise<number> {
  if (!Number.isInteger(number)) {
    throw new TypeError(
      `factorial() needs a whole number, got ${JSON.stringify(number)}`,
    );
  }
  let f = 1;
  for (let i = 2; i <= number; i++) {
    console.log(
      `Task ${name}: Compute factorial(${number}), currently i=${i}...`,
    );
    await sleep(scaled(1000));
    f *= i;
  }
  console.log(`Task ${name}: factorial(${number}) = ${f}`);
  return f;
}

/** A list as Python prints it: `[2, TypeError('...'), 6]`. */
function pythonList(values: unknown[]): string {
  const repr = (value: unknown): string =>
    value instanceof Error
      ? `${value.name}('${value.message}')`
      : String(value);
  return `[${values.map(repr).join(", ")}]`;
}

async function main(): Promise<void> {
  // Schedule the calls *concurrently*; errors are returned, not thrown.
  const results = await gather(
    () => factorial("A", 2),
    // Untyped input gets past the compiler (the cast stands in for it); the
    // check inside factorial() turns it into an error in the results.
    () => factorial("E", "rashid" as unknown as number),
    () => factorial("B", 3),
    () => factorial("C", 4),
    { returnExceptions: true },
  );
  console.log(pythonList(results));
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
