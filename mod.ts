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
  type Started,
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
export { shield, type ShieldOptions } from "./lib/shield.ts";
export {
  type ReturnWhen,
  wait,
  type WaitOptions,
  type WaitResult,
} from "./lib/wait.ts";
export { asCompleted, type AsCompletedOptions } from "./lib/as_completed.ts";
export { run, runMain, type RunMainOptions } from "./lib/run.ts";
export { type RunOptions } from "./lib/types.ts";
// Debugging: debug mode, traces, the task tree.
export {
  type ChromeTrace,
  type DebugOptions,
  type DebugWarning,
  type TraceEvent,
} from "./lib/types.ts";
export {
  formatTaskTree,
  taskTree,
  type TaskTreeNode,
} from "./lib/task_tree.ts";
export {
  EventLoop,
  type ExceptionHandler,
  getRunningLoop,
  Handle,
} from "./lib/event_loop.ts";
// Synchronization primitives and queues.
export { Lock, type LockGuard } from "./lib/sync/lock.ts";
export { Event } from "./lib/sync/event.ts";
export { Condition } from "./lib/sync/condition.ts";
export { Semaphore } from "./lib/sync/semaphore.ts";
export { BoundedSemaphore } from "./lib/sync/bounded_semaphore.ts";
export { Barrier, BrokenBarrierError } from "./lib/sync/barrier.ts";
export {
  Queue,
  QueueEmpty,
  QueueFull,
  type QueueOptions,
  QueueShutDown,
} from "./lib/sync/queue.ts";
export {
  type Comparator,
  compareItems,
  PriorityQueue,
  type PriorityQueueOptions,
} from "./lib/sync/priority_queue.ts";
export { LifoQueue } from "./lib/sync/lifo_queue.ts";
// Streams: TCP, TLS, Unix sockets, any Web stream.
export {
  type ClientTlsOptions,
  openConnection,
  type OpenConnectionOptions,
  type StreamConnection,
} from "./lib/streams/open_connection.ts";
export {
  openUnixConnection,
  type OpenUnixConnectionOptions,
} from "./lib/streams/open_unix_connection.ts";
export {
  type BaseServerOptions,
  type ConnectionHandler,
  Server,
  type ServerErrorContext,
  type ServerOptions,
  type ServerTlsOptions,
  startServer,
} from "./lib/streams/start_server.ts";
export {
  startUnixServer,
  type UnixServerOptions,
} from "./lib/streams/start_unix_server.ts";
export {
  IncompleteReadError,
  LimitOverrunError,
} from "./lib/streams/stream_errors.ts";
export {
  StreamReader,
  type StreamReaderOptions,
} from "./lib/streams/stream_reader.ts";
export {
  type SocketAddress,
  StreamWriter,
  type StreamWriterOptions,
} from "./lib/streams/stream_writer.ts";
// HTTP serving.
export {
  type HttpHandler,
  HttpServer,
  serve,
  type ServeOptions,
  type ServeTlsOptions,
} from "./lib/http/serve.ts";
// Subprocesses and signals.
export { createSubprocessExec } from "./lib/process/create_subprocess_exec.ts";
export { createSubprocessShell } from "./lib/process/create_subprocess_shell.ts";
export {
  type CommunicateResult,
  Process,
  type StdioOption,
  type SubprocessOptions,
} from "./lib/process/process.ts";
export {
  CalledProcessError,
  type ProcessResult,
  runProcess,
  type RunProcessOptions,
} from "./lib/process/run_process.ts";
export {
  type SignalReceiver,
  signalReceiver,
} from "./lib/process/signal_receiver.ts";
// Worker offload: toThread, WorkerPool, executors.
export { type Executor } from "./lib/workers/executor.ts";
export {
  SubprocessExecutor,
  type SubprocessExecutorOptions,
} from "./lib/workers/subprocess_executor.ts";
export { toThread } from "./lib/workers/to_thread.ts";
export {
  WorkerError,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
  type WorkerRunOptions,
  type Wrapped,
} from "./lib/workers/worker_pool.ts";
