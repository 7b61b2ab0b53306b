/**
 * `taskGroup(fn)` and `TaskGroup`: a scope that owns child tasks and does not
 * finish until all of them have settled. Mirrors `asyncio.TaskGroup`, plus
 * `cancel`, `start` and supervision (Trio's nursery, Kotlin's
 * supervisorScope).
 *
 * @module
 */

import {
  CancelledError,
  InvalidStateError,
  isCancelled,
  TaskGroupError,
} from "./errors.ts";
import { FutureState } from "./future.ts";
import { currentScope, Scope, storage } from "./_core/_scope.ts";
import { suspend, Wait } from "./_core/_trap.ts";
import { RunVar } from "./_core/_run_var.ts";
import {
  checkFunction,
  checkOptions,
  type OptionSpec,
} from "./_core/_checks.ts";
import {
  type CreateTaskOptions,
  nearestNursery,
  Nursery,
  type Task,
  type TaskFunction,
  taskName,
  type TaskObserver,
} from "./task.ts";

/** Options for {@linkcode taskGroup} and {@linkcode TaskGroup}. */
export interface TaskGroupOptions {
  /**
   * Let children fail without cancelling their siblings or the body; every
   * failure still surfaces in the final `TaskGroupError`. Default `false`.
   */
  supervise?: boolean;
  /** A name for the task tree and traces. */
  name?: string;
}

const OPTIONS: Record<keyof TaskGroupOptions, OptionSpec> = {
  supervise: "boolean",
  name: "string",
};

/** The function `TaskGroup.start` runs: call `started(value)` once ready. */
export type StartFunction<T> = (
  started: Started<T>,
  signal: AbortSignal,
) => unknown;

/**
 * What `TaskGroup.start` hands its function: call it (`started(value)`), or
 * use it like Trio's `task_status` (`started.started(value)`); it also
 * carries the child's `signal`.
 */
export interface Started<T> {
  /** Reports the child ready, with `value` for `start()` to return. */
  (value: T): void;
  /** The same function, for Trio's `task_status.started(value)` spelling. */
  readonly started: (value: T) => void;
  /** The child task's signal. */
  readonly signal: AbortSignal;
}

/**
 * A group of child tasks. A failing child cancels its siblings and the body
 * (unless `supervise`); once all children have settled the group throws a
 * `TaskGroupError` holding every error that was not a cancellation. If the
 * code around the group is cancelled, the children are cancelled and the
 * group rethrows `CancelledError`.
 *
 * Use {@linkcode taskGroup} (preferred), or `await using tg = new TaskGroup()`
 * for a group that lives as long as a block. JavaScript gives a disposer no
 * callback to run the block in and no sight of the block's own error, so in
 * that form the block is not the group's body: it runs in the surrounding
 * scope, start children with `tg.createTask` (plain `createTask` there
 * belongs to the surrounding owner), a child's failure cancels its siblings
 * but not the block's own awaits, and an error thrown by the block does not
 * cancel the children (they are still awaited when the block exits). The
 * group's errors are thrown at the end of the block as a `TaskGroupError`.
 *
 * Mirrors `asyncio.TaskGroup`.
 *
 * @example
 * ```ts
 * import { run, sleep, TaskGroup } from "@seed/aio";
 * await run(async () => {
 *   {
 *     await using tg = new TaskGroup();
 *     tg.createTask(() => sleep(5));
 *     tg.createTask(() => sleep(10));
 *   } // both children have finished here
 *   console.log("done");
 * });
 * ```
 */
export class TaskGroup {
  readonly #nursery: Nursery;
  readonly #errors: unknown[] = [];
  readonly #supervise: boolean;
  readonly #starting = new Set<Task<unknown>>();

  /**
   * Creates a group in the current scope (see the class notes on `await using`).
   * @param options `supervise`, `name`.
   * @throws {TypeError} If `options` is not an object.
   */
  constructor(options?: TaskGroupOptions) {
    checkOptions(options, OPTIONS, "TaskGroup");
    const outer = currentScope();
    const name = options?.name ?? "TaskGroup";
    const scope = new Scope(outer, outer?.task, name);
    this.#supervise = options?.supervise === true;
    if (scope.loop !== undefined) openGroups.get(scope.loop).add(this);
    this.#nursery = new Nursery(
      scope,
      (task) => this.#childDone(task),
      nurseryObserver(outer),
    );
  }

  /** @internal The group's scope. */
  get _scope(): Scope {
    return this.#nursery.scope;
  }

  /** The group's signal: aborted when the group is cancelled. */
  get signal(): AbortSignal {
    return this.#nursery.scope.signal;
  }

  /** Whether the group was cancelled (by `cancel()`, a failure or from outside). */
  get cancelled(): boolean {
    return this.#nursery.scope.cancelled;
  }

  /**
   * Starts `fn` as a child task.
   * @param fn The task function; it receives the task's `AbortSignal`.
   * @param options `name`.
   * @returns The task.
   * @throws {TypeError} If `fn` is not a function.
   * @throws {InvalidStateError} If the group has finished or is shutting down after a failure.
   */
  createTask<T>(fn: TaskFunction<T>, options?: CreateTaskOptions): Task<T> {
    checkFunction(fn, "TaskGroup.createTask()");
    const name = taskName(options, "TaskGroup.createTask()");
    const nursery = this.#nursery;
    if (nursery.finished) {
      throw new InvalidStateError(
        "Cannot create a task: the task group has finished",
      );
    }
    if (nursery.aborting) {
      throw new InvalidStateError(
        "Cannot create a task: the task group is shutting down after a failure",
      );
    }
    return nursery.spawn(fn, name);
  }

  /**
   * Starts `fn` as a child and waits until it calls `started(value)`; returns
   * that value while the child runs on in the group ("wait until the server
   * listens"). If the child fails or returns before calling `started`, that
   * error is thrown here instead of failing the group.
   *
   * @param fn Receives `started` and the task's signal.
   * @param options `name`.
   * @returns The value passed to `started`.
   * @throws {InvalidStateError} If the child returned without calling `started`.
   */
  async start<T = void>(
    fn: StartFunction<T>,
    options?: CreateTaskOptions,
  ): Promise<T> {
    checkFunction(fn, "TaskGroup.start()");
    // The caller's wait: woken by started(value), failed by the child ending
    // first. Made before the child so that started() can reach it.
    const wait = new StartWait<T>();
    const task: Task<unknown> = this.createTask((signal) => {
      const started = (value: T): void => {
        if (wait.isStarted) {
          throw new InvalidStateError("started() was already called");
        }
        wait.isStarted = true;
        this.#starting.delete(task);
        wait.wake(value);
      };
      return fn(Object.assign(started, { started, signal }), signal);
    }, options);
    wait.task = task;
    this.#starting.add(task);
    return await suspend(wait, currentScope(), "future", task);
  }

  /**
   * Cancels every child and the body; the group then ends normally (its
   * body's `CancelledError` is absorbed), like Trio's `cancel_scope.cancel()`.
   * @param reason Carried by the `CancelledError`s.
   */
  cancel(reason?: unknown): void {
    this.#nursery.scope.cancel(reason);
  }

  /** Waits for the children and throws as the group must (see the class). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this._finish(false, undefined);
  }

  /** @internal Holds the children created from now on (see taskGroup). */
  _hold(): Task<unknown>[] {
    return this.#nursery.holding = [];
  }

  /** @internal Starts the held children on a later turn. */
  _release(held: Task<unknown>[], then: () => void): void {
    this.#nursery.holding = undefined;
    queueMicrotask(() => {
      then();
      for (const task of held) task._start();
    });
  }

  /** @internal The body failed before its first await: abort at once. */
  _abortEarly(): void {
    this.#abort();
  }

  /** @internal Ends the group after its body. */
  async _finish(bodyFailed: boolean, bodyError: unknown): Promise<void> {
    const nursery = this.#nursery;
    const scope = nursery.scope;
    if (scope.loop !== undefined) openGroups.peek(scope.loop)?.delete(this);
    if (bodyFailed) {
      if (!isCancelled(bodyError)) this.#addError(bodyError);
      this.#abort();
    }
    await nursery.join(scope);
    nursery.finished = true;
    scope.close();
    if (this.#errors.length > 0) throw new TaskGroupError(this.#errors);
    if (scope.outerCancelled()) {
      throw bodyFailed && bodyError instanceof CancelledError
        ? bodyError
        : scope.parent!.deliver();
    }
    if (bodyFailed && !(scope.cancelCalled && isCancelled(bodyError))) {
      throw bodyError;
    }
  }

  #abort(): void {
    this.#nursery.aborting = true;
    this.#nursery.scope.cancel("task group is shutting down");
  }

  // One error reaches the group once, even when the body (or a sibling)
  // rethrows a child's error that the group also collected.
  #addError(error: unknown): void {
    const seen = this.#seen ??= new Set();
    if (seen.has(error)) return;
    seen.add(error);
    this.#errors.push(error);
  }

  #seen: Set<unknown> | undefined;

  #childDone(task: Task<unknown>): void {
    // A child that ended before calling started(): start() throws its error.
    if (this.#starting.delete(task)) return;
    // A shielded child whose failure its caller already received.
    if (task.scope.shielded && task._retrieved()) return;
    if (task._state() !== FutureState.REJECTED) return;
    task._markRetrieved();
    this.#addError(task._value());
    if (!this.#supervise) this.#abort();
  }
}

function nurseryObserver(scope: Scope | undefined): TaskObserver | undefined {
  const nursery = nearestNursery(scope);
  return nursery?.observer;
}

// The caller of `tg.start()` (the group's #childDone leaves a child that is
// still starting to this wait). Until started(value) is called the child is
// the caller's: if the caller is cancelled, the child is cancelled and the
// caller fails only once it has unwound, with the child's own error if it
// raised one while unwinding (so that error is thrown once, never lost).
class StartWait<T> extends Wait<T> {
  task: Task<unknown> | undefined = undefined;
  isStarted = false;
  override arm(): void {
    this.task!.addDoneCallback(() => this.#ended());
  }

  #ended(): void {
    if (this.isStarted || this.settled) return;
    const task = this.task!;
    task._markRetrieved();
    this.fail(
      task._state() === FutureState.FULFILLED
        ? new InvalidStateError(
          `${task.describe()} returned without calling started()`,
        )
        : task._value(),
    );
  }

  override wake(value: T): boolean {
    // started() called while the child unwinds from the caller's
    // cancellation: the child is now the group's, the caller is cancelled.
    const error = this.#cancelError;
    return error === undefined ? super.wake(value) : this.fail(error);
  }

  #cancelError: CancelledError | undefined = undefined;

  override cancel(error: CancelledError): void {
    const task = this.task!;
    if (this.isStarted || task.done()) {
      this.fail(error); // (a child that ended first already failed this wait)
      return;
    }
    this.#cancelError = error;
    task.cancel(error.reason);
    task.addDoneCallback(() => {
      if (this.settled) return;
      task._markRetrieved();
      this.fail(
        task._state() === FutureState.REJECTED ? task._value() : error,
      );
    });
  }
}

/**
 * Runs `fn(tg)` in a new task group and waits for every child it starts.
 * A failing child cancels its siblings and the body (unless `supervise`);
 * then `TaskGroupError` holds every non-cancellation error. `tg.cancel()`
 * ends the group normally. Returns the body's value.
 *
 * Mirrors `async with asyncio.TaskGroup() as tg:`.
 *
 * @param fn The body; receives the group.
 * @returns What the body returned (`undefined` if `tg.cancel()` cut it short).
 * @throws {TaskGroupError} If the body or any child failed.
 * @throws {CancelledError} If the code around the group was cancelled.
 * @throws {TypeError} If `fn` is not a function or options are not an object.
 *
 * @example
 * ```ts
 * import { sleep, taskGroup } from "@seed/aio";
 * const results = await taskGroup(async (tg) => {
 *   const a = tg.createTask(async () => { await sleep(10); return 1; });
 *   const b = tg.createTask(async () => { await sleep(5); return 2; });
 *   return [await a, await b];
 * });
 * console.log(results); // [1, 2]
 * ```
 */
export function taskGroup<T>(
  fn: (tg: TaskGroup) => T | PromiseLike<T>,
): Promise<T>;
/**
 * Runs `fn(tg)` in a new task group with options (`supervise`, `name`).
 *
 * @param options `supervise`, `name`.
 * @param fn The body; receives the group.
 * @returns What the body returned.
 */
export function taskGroup<T>(
  options: TaskGroupOptions,
  fn: (tg: TaskGroup) => T | PromiseLike<T>,
): Promise<T>;
export async function taskGroup<T>(
  optionsOrFn: TaskGroupOptions | ((tg: TaskGroup) => T | PromiseLike<T>),
  maybeFn?: (tg: TaskGroup) => T | PromiseLike<T>,
): Promise<T> {
  const fn = typeof optionsOrFn === "function" ? optionsOrFn : maybeFn;
  const options = typeof optionsOrFn === "function" ? undefined : optionsOrFn;
  if (typeof optionsOrFn === "function" && maybeFn !== undefined) {
    throw new TypeError(
      "taskGroup(): expected (fn) or (options, fn), got two functions",
    );
  }
  checkFunction(fn, "taskGroup()");
  const tg = new TaskGroup(options);
  let result: T | undefined;
  let bodyFailed = false;
  let bodyError: unknown;
  // Children created before the body's first await are held, and started
  // only after a body that already failed had the chance to abort the group:
  // they never run (asyncio cancels them before their first step).
  const held = tg._hold();
  let early = true;
  let body: T | PromiseLike<T> | undefined;
  try {
    body = storage.run(tg._scope, fn!, tg);
  } catch (error) {
    bodyFailed = true;
    bodyError = error;
    tg._abortEarly();
  }
  if (!bodyFailed && isThenable(body)) {
    body.then(undefined, () => {
      if (early) tg._abortEarly();
    });
  }
  tg._release(held, () => early = false);
  if (!bodyFailed) {
    try {
      result = await body;
    } catch (error) {
      bodyFailed = true;
      bodyError = error;
    }
  }
  await tg._finish(bodyFailed, bodyError);
  return result as T;
}

// The groups of each run that have not finished: one made with `new` and
// never closed (no `await using`) is found when its run ends.
const openGroups = new RunVar<Set<TaskGroup>>(() => new Set());

/**
 * @internal Called by run() once its root is done: a group that was never
 * closed is reported, its children (already cancelled with the root) are
 * awaited, and their errors reported, so none outlives run() or is lost.
 */
export async function closeAbandonedGroups(loop: object): Promise<void> {
  const groups = openGroups.peek(loop);
  if (groups === undefined) return;
  const report = (loop as {
    callExceptionHandler(error: unknown, context: { message: string }): void;
  }).callExceptionHandler.bind(loop);
  while (groups.size > 0) {
    const group: TaskGroup = groups.values().next().value!;
    groups.delete(group);
    report(
      new InvalidStateError(
        `${group._scope.label} was never closed (create it with \`await using\`, or use taskGroup(fn)); its tasks were cancelled when run() ended`,
      ),
      { message: "Task group never closed" },
    );
    group._scope.cancel("run() is finishing");
    try {
      await group._finish(false, undefined);
    } catch (error) {
      if (!isCancelled(error)) {
        report(error, { message: "Exception in a task group never closed" });
      }
    }
  }
  openGroups.delete(loop);
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<T>).then === "function";
}
