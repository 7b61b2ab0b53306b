/**
 * Worker offload: toThread, WorkerPool, SubprocessExecutor and the Executor contract.
 *
 * Also re-exported from `@seed/aio`.
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { toThread } from "@seed/aio/workers";
 *
 * await run(async () => {
 *   console.log(await toThread((a: number, b: number) => a + b, 1, 2)); // 3
 * });
 * ```
 *
 * @module
 */

export { type Executor } from "./executor.ts";
export {
  SubprocessExecutor,
  type SubprocessExecutorOptions,
} from "./subprocess_executor.ts";
export { toThread } from "./to_thread.ts";
export { WorkerError } from "./worker_error.ts";
export {
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
  type WorkerRunOptions,
  type Wrapped,
} from "./worker_pool.ts";
