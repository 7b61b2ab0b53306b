/**
 * CPU-bound work handed to a pool of processes with `runInExecutor`: a
 * `SubprocessExecutor` (worker processes, closed by `await using`, as
 * `with ProcessPoolExecutor() as pool:` closes the pool) computes the sum
 * of i*i for i below 1,000,000 and the script prints
 * `CPU-bound function result: 333332833333500000`, what CPython prints.
 *
 * Mirrors the "Multiprocessing with Asyncio" example of the asyncio
 * documents: `with ProcessPoolExecutor() as pool:`
 * `result = await loop.run_in_executor(pool, cpu_bound_function)`,
 * `print('CPU-bound function result:', result)`. The document leaves
 * `cpu_bound_function` undefined; here it is
 * `sum(i * i for i in range(10 ** 6))`, summed in a BigInt because the
 * total passes 2^53, where Python's integers are exact. A
 * `SubprocessExecutor` is the process pool's honest analog: cancelling a
 * call kills its process, which stops even a loop that never yields (a
 * `WorkerPool` gives the same parallelism with threads).
 *
 * Run: deno run --allow-read --allow-run scripts/process_pool_executor.ts [--n 1000000]
 * (the pool starts `deno` processes, hence --allow-run; they read aio's
 * worker module, hence --allow-read.)
 *
 * @module
 */

import {
  getRunningLoop,
  runMain,
  SubprocessExecutor,
  WorkerPool,
} from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/process_pool_executor.ts",
  shows:
    `CPU-bound work in a pool of processes: a SubprocessExecutor (closed by await
using) sums i*i for i below 1,000,000 and the script prints "CPU-bound
function result: 333332833333500000", as CPython does.
Mirrors: with ProcessPoolExecutor() as pool:
    result = await loop.run_in_executor(pool, cpu_bound_function)`,
  permissions: ["--allow-read", "--allow-run"],
  flags: { "--n N": "sum i*i for i below N (default 1000000)" },
  sleeps: false,
};

// Self-contained: it runs in another process, with n as its argument.
function cpuBoundFunction(n: number): bigint {
  let sum = 0n;
  for (let i = 0; i < n; i++) sum += BigInt(i * i);
  return sum;
}

async function main(n: number): Promise<void> {
  const loop = getRunningLoop();
  // A standalone binary (deno compile) has no `deno` to start: threads there.
  await using pool = Deno.build.standalone
    ? new WorkerPool({ size: 1 })
    : new SubprocessExecutor({ size: 1 });
  const result = await loop.runInExecutor(pool, cpuBoundFunction, n);
  console.log("CPU-bound function result:", String(result));
}

/**
 * Runs the example with command-line flags (`--n`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  const n = Number(parsed.values.n ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n < 0 || n > 1e8) {
    console.error(
      `error: --n must be a whole number from 0 to 100000000, got "${parsed.values.n}"`,
    );
    return Deno.exitCode = 2;
  }
  return await runMain(() => main(n));
}

if (import.meta.main) await cli(Deno.args);
