// Pins the public API: the exact runtime names mod.ts exports, and the core
// types a user's code may name. A name added or dropped must show up here.

import { assert, assertEquals } from "@std/assert";
import * as mod from "@seed/aio";
import type {
  AsCompletedOptions,
  Awaitable,
  CreateTaskOptions,
  DoneCallback,
  ExceptionHandler,
  GatherItem,
  GatherOptions,
  ReturnWhen,
  RunMainOptions,
  RunOptions,
  ShieldOptions,
  Started,
  StartFunction,
  TaskFunction,
  TaskGroupOptions,
  TimeoutScope,
  WaitOptions,
  WaitResult,
} from "@seed/aio";

const EXPORTS = [
  "Barrier",
  "BoundedSemaphore",
  "BrokenBarrierError",
  "CalledProcessError",
  "CancelledError",
  "Condition",
  "Event",
  "EventLoop",
  "Future",
  "Handle",
  "HttpServer",
  "IncompleteReadError",
  "InvalidStateError",
  "LifoQueue",
  "LimitOverrunError",
  "Lock",
  "PriorityQueue",
  "Process",
  "Queue",
  "QueueEmpty",
  "QueueFull",
  "QueueShutDown",
  "Semaphore",
  "Server",
  "StreamReader",
  "StreamWriter",
  "SubprocessExecutor",
  "Task",
  "TaskGroup",
  "TaskGroupError",
  "TimeoutError",
  "WorkerError",
  "WorkerPool",
  "allTasks",
  "asCompleted",
  "checkpoint",
  "compareItems",
  "createSubprocessExec",
  "createSubprocessShell",
  "createTask",
  "currentSignal",
  "currentTask",
  "formatTaskTree",
  "gather",
  "getRunningLoop",
  "isCancelled",
  "moveOnAfter",
  "openConnection",
  "openUnixConnection",
  "run",
  "runMain",
  "runProcess",
  "serve",
  "shield",
  "signalReceiver",
  "sleep",
  "startServer",
  "startUnixServer",
  "taskGroup",
  "taskTree",
  "timeout",
  "timeoutAt",
  "toThread",
  "wait",
  "waitFor",
];

Deno.test("mod.ts exports exactly the public API, nothing private", () => {
  assertEquals(Object.keys(mod).sort(), EXPORTS);
  for (const name of Object.keys(mod)) {
    assert(!name.startsWith("_"), `${name} looks private`);
    assert(
      (mod as Record<string, unknown>)[name] !== undefined,
      `${name} is undefined`,
    );
  }
});

Deno.test("mod.ts error classes are Errors with their own names", () => {
  const errors = [
    mod.CancelledError,
    mod.InvalidStateError,
    mod.TaskGroupError,
    mod.TimeoutError,
  ];
  for (const ErrorClass of errors) {
    const error = new (ErrorClass as new (arg: never) => Error)(
      [] as never,
    );
    assert(error instanceof Error);
    assertEquals(error.name, ErrorClass.name);
  }
  assert(new mod.TaskGroupError([]) instanceof AggregateError);
});

Deno.test("mod.ts core types are exported and usable", () => {
  // Compiling this is the test: each type must be importable from mod.ts.
  const fn: TaskFunction<number> = () => 1;
  const item: Awaitable<number> = fn;
  const gatherItem: GatherItem<number> = item;
  const options: [
    CreateTaskOptions,
    GatherOptions,
    TaskGroupOptions,
    WaitOptions,
    AsCompletedOptions,
    RunOptions,
    RunMainOptions,
  ] = [
    { name: "x" },
    { returnExceptions: true },
    { supervise: true },
    {
      timeout: 1,
    },
    { timeout: 1 },
    {},
    { signals: ["SIGINT"] },
  ];
  const returnWhen: ReturnWhen = "FIRST_COMPLETED";
  const callback: DoneCallback<number> = () => {};
  const handler: ExceptionHandler = () => {};
  const start: StartFunction<number> = (started: Started<number>) =>
    started.started(1);
  const shieldOptions: ShieldOptions = { wait: true };
  const results: WaitResult<number> = { done: new Set(), pending: new Set() };
  const scope: TimeoutScope | undefined = undefined;
  assertEquals(
    [gatherItem, options.length, returnWhen, typeof callback, typeof handler]
      .length,
    5,
  );
  assertEquals(typeof start, "function");
  assertEquals(shieldOptions.wait, true);
  assertEquals(results.done.size, 0);
  assertEquals(scope, undefined);
});
