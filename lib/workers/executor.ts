/**
 * The `Executor` interface: something that runs a self-contained function
 * somewhere else (a worker, a subprocess) and hands back its result. A
 * `WorkerPool` is one; `getRunningLoop().runInExecutor(executor, fn, ...args)`
 * takes any of them, or `undefined` for the run's default pool.
 *
 * Mirrors `concurrent.futures.Executor` as `loop.run_in_executor` uses it.
 *
 * @module
 */

/**
 * Runs a self-contained function elsewhere. `fn` travels as its source
 * text, so it must not use variables or imports of the code around it
 * (closures do not travel); its arguments and result travel by structured
 * clone. The returned promise is a cancellation point of the caller's task:
 * cancelling the task stops the call.
 *
 * `R` is what `fn` returns once awaited: a function returning
 * `Promise<number>` (or `number`) gives `Promise<number>`. A straightforward
 * implementation type-checks without casts:
 * `submit(fn, ...args) { return Promise.resolve(fn(...args)); }`.
 *
 * Mirrors `concurrent.futures.Executor.submit(fn, *args)`.
 *
 * @example
 * ```ts
 * import { type Executor, getRunningLoop, run, WorkerPool } from "@seed/aio";
 *
 * await run(async () => {
 *   await using pool = new WorkerPool({ size: 1 });
 *   const executor: Executor = pool;
 *   const loop = getRunningLoop();
 *   console.log(await loop.runInExecutor(executor, (n: number) => n * 2, 21)); // 42
 * });
 * ```
 *
 * @example A custom executor
 * ```ts
 * import { type Executor, getRunningLoop, run } from "@seed/aio";
 *
 * // Runs on the calling thread: for tests, or work too small to offload.
 * class InlineExecutor implements Executor {
 *   submit<A extends unknown[], R>(
 *     fn: (...args: A) => R | PromiseLike<R>,
 *     ...args: A
 *   ): Promise<R> {
 *     return Promise.resolve(fn(...args));
 *   }
 * }
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   console.log(await loop.runInExecutor(new InlineExecutor(), (n: number) => n + 1, 1)); // 2
 * });
 * ```
 */
export interface Executor {
  /**
   * Runs `fn(...args)` elsewhere.
   * @param fn A self-contained function (no closures).
   * @param args Its arguments (structured-cloneable).
   * @returns What `fn` returned (awaited).
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<R>;
}
