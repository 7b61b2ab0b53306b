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
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/factorial.ts",
  shows:
    'Three `factorial` tasks gathered with `returnExceptions`, plus a fourth\ngiven a bad argument: the tasks interleave one step a second, and the\nfailure lands in the result list instead of being thrown:\n`[2, TypeError(...), 6, 24]` after about 3 s.\n\nMirrors the `asyncio.gather(*aws, return_exceptions=False)` example of\nthe asyncio documents: `factorial("A", 2)`, `factorial("E", "rashid")`,\n`factorial("B", 3)`, `factorial("C", 4)` gathered with\n`return_exceptions=True`, then `print(L)`. The list is printed the way\nPython prints it.',
  permissions: [],
};

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
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
