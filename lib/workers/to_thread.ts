/**
 * `toThread(fn, ...args)`: run a self-contained function in a worker of the
 * run's default pool. Mirrors `asyncio.to_thread`.
 *
 * @module
 */

import { EventLoop } from "../event_loop.ts";
import { currentScope } from "../_core/_scope.ts";
import { RunVar } from "../_core/_run_var.ts";
import { functionSource } from "./_source.ts";
import { WorkerPool } from "./worker_pool.ts";

/** Each run's default pool, made on first use. */
const perRun = new RunVar<{ pool: WorkerPool | undefined }>(() => ({
  pool: undefined,
}));
let outside: WorkerPool | undefined;

/**
 * @internal The default pool: one per `run()` (terminated when it ends,
 * like asyncio's default executor), and outside any run one whose workers
 * stop as soon as they are idle, so that it never keeps a process alive.
 */
export function defaultExecutor(
  loop: EventLoop | undefined = currentScope()?.loop as EventLoop | undefined,
): WorkerPool {
  if (loop !== undefined && !loop.closed) {
    const state = perRun.get(loop);
    let pool = state.pool;
    if (pool === undefined) {
      const made = new WorkerPool({ name: "aio default pool" });
      pool = state.pool = made;
      loop._addCleanup(() => {
        perRun.delete(loop);
        made.terminate();
      });
    }
    return pool;
  }
  return outside ??= new WorkerPool({
    name: "aio default pool",
    idleTimeoutMs: 0,
  });
}

// `loop.runInExecutor(undefined, ...)` finds the default pool through this
// hook, so that the event loop does not import the pool.
EventLoop._defaultExecutor = defaultExecutor;

/**
 * Runs `fn(...args)` in a worker (a separate isolate on its own thread,
 * so CPU-bound work runs in parallel and the event loop stays free) and
 * returns its result. `fn` travels as its source text: it must be
 * self-contained, because closures do not travel — variables and imports
 * of the code around it do not exist in the worker (using one fails with a
 * `TypeError` that says so). Pass what it needs as arguments; they and the
 * result are copied by structured clone. For code with imports, put it in a
 * module and use `WorkerPool.run` or `wrap`.
 *
 * A cancellation point: cancelling the calling task terminates the worker
 * running `fn` at once (`CancelledError`), and the pool starts a fresh one.
 * The default pool belongs to the current `run()` and stops with it.
 *
 * Mirrors `asyncio.to_thread(func, *args)`, with isolates instead of
 * threads: real parallelism, and no shared state.
 *
 * @param fn A self-contained function (arrow, `function`, async).
 * @param args Its arguments (structured-cloneable).
 * @returns What `fn` returned (awaited).
 * @throws {TypeError} If `fn` is native, bound, a class, or uses a closure; or an argument cannot be cloned.
 * @throws {CancelledError} If the calling task is cancelled meanwhile.
 * @throws {WorkerError} If the worker crashed, exited, or threw an error whose class cannot be rebuilt.
 *
 * @example
 * ```ts
 * import { gather, run, sleep, toThread } from "@seed/aio";
 *
 * function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 *
 * await run(async () => {
 *   // fib runs in a worker while the loop keeps sleeping on time.
 *   const [value] = await gather(toThread(fib, 25), sleep(1));
 *   console.log(value); // 75025
 * });
 * ```
 */
export function toThread<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Promise<R> {
  functionSource(fn, "toThread()");
  return defaultExecutor().submit(fn, ...args);
}
