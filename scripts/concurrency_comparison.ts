/**
 * The concurrency comparison: the same jobs run three ways, timed side by
 * side. Four I/O-bound jobs (each waits 1 s, like a network call) and four
 * CPU-bound jobs (each counts primes) run
 *
 * - sequentially, one after the other;
 * - as tasks, gathered on the event loop;
 * - in workers, one call each on a `WorkerPool`.
 *
 * Tasks make the waits overlap (about 1 s instead of 4 s) but not the
 * computing: CPU-bound tasks still take turns on the one event-loop thread.
 * Workers are isolates on threads of their own, so CPU-bound jobs run in
 * parallel, up to the number of cores. The workers are started, and the
 * CPU-bound job compiled everywhere, before timing.
 *
 * Mirrors the concurrency document's comparison of asyncio (for I/O-bound
 * work), threading and multiprocessing (for CPU-bound work). The workers
 * call this module's exported `ioJob` and `countPrimes` by name, with
 * `pool.run(import.meta.url, name, args)`.
 *
 * Run: deno run --allow-read scripts/concurrency_comparison.ts [--jobs 4] [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales the waits
 * and the size of the CPU-bound jobs.)
 *
 * @module
 */

import { gather, runMain, sleep, WorkerPool } from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

/** An I/O-bound job: waits `ms` (a network call, say), returns `ms`. */
export async function ioJob(ms: number): Promise<number> {
  await sleep(ms);
  return ms;
}

/** A CPU-bound job: the number of primes below `limit`, by trial division. */
export function countPrimes(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

interface Options {
  speed: number;
  jobs: number;
}

let options: Options = { speed: 1, jobs: 4 };

async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const { jobs, speed } = options;
  const waitMs = 1000 * speed;
  const limit = Math.max(1000, Math.round(1_500_000 * speed));
  const indices = [...Array(jobs).keys()];
  const cores = navigator.hardwareConcurrency;
  console.log(
    `${jobs} I/O-bound jobs (each waits ${waitMs} ms) and ${jobs} CPU-bound ` +
      `jobs (each counts the primes below ${limit}), ${cores} CPU cores`,
  );

  // Workers stay up between the runs (by default an idle one stops).
  await using pool = new WorkerPool({
    size: jobs,
    idleTimeoutMs: Infinity,
    name: "comparison",
  });
  const url = import.meta.url;
  // Before timing: boot every worker and let each isolate (and this one)
  // compile the CPU-bound job, so that no column pays for a cold start.
  const warmUp = Math.ceil(limit / 10);
  countPrimes(warmUp);
  await gather(
    ...indices.map(() => () => pool.run(url, "countPrimes", [warmUp])),
  );

  const io = {
    sequential: await timed(async () => {
      for (const _ of indices) await ioJob(waitMs);
    }),
    tasks: await timed(() => gather(...indices.map(() => () => ioJob(waitMs)))),
    workers: await timed(() =>
      gather(...indices.map(() => () => pool.run(url, "ioJob", [waitMs])))
    ),
  };
  const cpu = {
    sequential: await timed(() => {
      for (const _ of indices) countPrimes(limit);
    }),
    // Tasks, but each computes without yielding: they take turns.
    tasks: await timed(() =>
      gather(...indices.map(() => () => countPrimes(limit)))
    ),
    workers: await timed(() =>
      gather(...indices.map(() => () => pool.run(url, "countPrimes", [limit])))
    ),
  };

  const ms = (value: number): string => `${Math.round(value)} ms`.padStart(10);
  console.log(
    `${"job".padEnd(10)}${"sequential".padStart(10)}${"tasks".padStart(10)}${
      "workers".padStart(10)
    }`,
  );
  for (const [name, row] of [["I/O-bound", io], ["CPU-bound", cpu]] as const) {
    console.log(
      `${name.padEnd(10)}${ms(row.sequential)}${ms(row.tasks)}${
        ms(row.workers)
      }`,
    );
  }
}

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/concurrency_comparison.ts",
  shows: `The same jobs run three ways, timed side by side: I/O-bound jobs (each
waits 1 s) and CPU-bound jobs (each counts primes) run sequentially, as tasks
gathered on the event loop, and in workers (a WorkerPool). Tasks overlap the
waits, not the computing; workers run CPU-bound jobs in parallel.
Mirrors the concurrency document's asyncio vs threading vs multiprocessing.`,
  permissions: ["--allow-read"],
  flags: { "--jobs N": "how many jobs of each kind (1 to 64, default 4)" },
};

/**
 * Runs the comparison with command-line flags (`--jobs`, `--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  const jobs = Number(parsed.values.jobs ?? 4);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    console.error(
      `error: --jobs must be a whole number from 1 to 64, got "${parsed.values.jobs}"`,
    );
    return Deno.exitCode = 2;
  }
  options = { speed: parsed.speed, jobs };
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
