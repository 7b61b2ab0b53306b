/**
 * `@seed/aio/redis`: aio's executor beyond one machine, on BullMQ and
 * Redis. `RedisExecutor` is an `Executor` (`run`, `wrap`, `submit`,
 * `runInExecutor`) whose calls run on worker processes anywhere;
 * `serveRedisWorker` (or the `worker.ts` command) is the worker. Calls keep
 * aio's guarantees: cancelling the caller stops the job remotely, errors
 * keep their class, and nothing outlives its scope.
 *
 * Not re-exported from `@seed/aio`: this entry point alone depends on npm
 * packages (`bullmq`, `ioredis`). Needs `--allow-env` and `--allow-net`.
 *
 * @example
 * ```ts ignore
 * import { run } from "@seed/aio";
 * import { RedisExecutor } from "@seed/aio/redis";
 *
 * await run(async () => {
 *   await using remote = new RedisExecutor({
 *     url: "redis://127.0.0.1:6379",
 *     queue: "jobs",
 *     root: new URL("./", import.meta.url),
 *   });
 *   const math = remote.wrap<typeof import("./math.ts")>("./math.ts");
 *   console.log(await math.add(2, 3)); // 5, computed by a worker
 * });
 * ```
 *
 * @module
 */

export {
  RedisExecutor,
  type RedisExecutorOptions,
  type RedisExecutorStats,
  type RedisRunOptions,
} from "./redis_executor.ts";
export type { Executor } from "../workers/executor.ts";
export type { Wrapped } from "../workers/worker_pool.ts";
export {
  type RedisWorkerOptions,
  serveRedisWorker,
} from "./serve_redis_worker.ts";
