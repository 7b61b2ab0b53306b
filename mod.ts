/**
 * aio: structured concurrency for Deno, the toolkit a Deno programmer
 * reaches for when thinking "asyncio": task groups, gather, timeouts,
 * shield, futures, and the event loop's clock, with the guarantees asyncio
 * lacks: no task outlives its scope, no error is lost, and cancellation
 * reaches every leaf. Durations are milliseconds.
 *
 * @example
 * ```ts
 * import { gather, run, sleep, taskGroup, timeout } from "@seed/aio";
 *
 * await run(async () => {
 *   // Two tasks at once: about 10 ms in all, not 20.
 *   const [hello, world] = await gather(
 *     () => sleep(10, "Hello"),
 *     () => sleep(10, "World"),
 *   );
 *   console.log(hello, world);
 *
 *   // Children of a group finish before the group does.
 *   await taskGroup((tg) => {
 *     tg.createTask(() => sleep(5));
 *     tg.createTask(() => sleep(5));
 *   });
 *
 *   // Give up after 5 ms.
 *   await timeout(5, () => sleep(1_000)).catch((e) => console.log(e.name)); // "TimeoutError"
 * });
 * ```
 *
 * @module
 */

export {
  CancelledError,
  InvalidStateError,
  isCancelled,
  TaskGroupError,
  TimeoutError,
} from "./lib/errors.ts";
export { type DoneCallback, Future } from "./lib/future.ts";
export {
  allTasks,
  type Awaitable,
  createTask,
  type CreateTaskOptions,
  currentSignal,
  currentTask,
  Task,
  type TaskFunction,
} from "./lib/task.ts";
export {
  type StartFunction,
  TaskGroup,
  taskGroup,
  type TaskGroupOptions,
} from "./lib/task_group.ts";
export { checkpoint, sleep } from "./lib/sleep.ts";
export { gather, type GatherItem, type GatherOptions } from "./lib/gather.ts";
export { timeout, timeoutAt, type TimeoutScope } from "./lib/timeout.ts";
export { moveOnAfter } from "./lib/move_on_after.ts";
export { waitFor } from "./lib/wait_for.ts";
export { shield } from "./lib/shield.ts";
export {
  type ReturnWhen,
  wait,
  type WaitOptions,
  type WaitResult,
} from "./lib/wait.ts";
export { asCompleted, type AsCompletedOptions } from "./lib/as_completed.ts";
export {
  run,
  runMain,
  type RunMainOptions,
  type RunOptions,
} from "./lib/run.ts";
export {
  EventLoop,
  type ExceptionHandler,
  getRunningLoop,
  Handle,
} from "./lib/event_loop.ts";
