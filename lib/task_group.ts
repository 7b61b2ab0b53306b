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
import { waitPromise } from "./_core/_trap.ts";
import { checkFunction, show } from "./_core/_checks.ts";
import {
  type CreateTaskOptions,
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
    if (
      options !== undefined && (options === null || typeof options !== "object")
    ) {
      throw new TypeError(
        `TaskGroup: options must be an object, got ${show(options)}`,
      );
    }
    const outer = currentScope();
    const name = options?.name ?? "TaskGroup";
    const scope = new Scope(outer, outer?.task, name);
    this.#supervise = options?.supervise === true;
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
    let resolveStarted!: (value: T) => void;
    let isStarted = false;
    const ready = new Promise<T>((resolve) => {
      resolveStarted = resolve;
    });
    const task: Task<unknown> = this.createTask((signal) => {
      const started = (value: T): void => {
        if (isStarted) {
          throw new InvalidStateError("started() was already called");
        }
        isStarted = true;
        this.#starting.delete(task);
        resolveStarted(value);
      };
      return fn(Object.assign(started, { started, signal }), signal);
    }, options);
    this.#starting.add(task);
    const ended = new Promise<never>((_, reject) => {
      task.addDoneCallback(() => {
        if (isStarted) return;
        const value = task._value();
        task._markRetrieved();
        reject(
          task._state() === FutureState.FULFILLED
            ? new InvalidStateError(
              `${task.describe()} returned without calling started()`,
            )
            : value,
        );
      });
    });
    ended.catch(() => {});
    return await waitPromise(
      Promise.race([ready, ended]),
      currentScope(),
      "future",
      () => {
        if (!isStarted) task.cancel();
      },
    );
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

  /** @internal Ends the group after its body. */
  async _finish(bodyFailed: boolean, bodyError: unknown): Promise<void> {
    const nursery = this.#nursery;
    const scope = nursery.scope;
    if (bodyFailed) {
      if (!isCancelled(bodyError)) this.#errors.push(bodyError);
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

  #childDone(task: Task<unknown>): void {
    // A child that ended before calling started(): start() throws its error.
    if (this.#starting.delete(task)) return;
    // A shielded child whose failure its caller already received.
    if (task.scope.shielded && task._retrieved()) return;
    if (task._state() !== FutureState.REJECTED) return;
    task._markRetrieved();
    this.#errors.push(task._value());
    if (!this.#supervise) this.#abort();
  }
}

function nurseryObserver(scope: Scope | undefined): TaskObserver | undefined {
  const nursery = scope === undefined ? undefined : findNursery(scope);
  return nursery?.observer;
}

function findNursery(scope: Scope): Nursery | undefined {
  let s: Scope | undefined = scope;
  while (s !== undefined) {
    if (s.nursery !== undefined) return s.nursery as Nursery;
    s = s.parent;
  }
  return undefined;
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
  checkFunction(fn, "taskGroup()");
  const tg = new TaskGroup(options);
  let result: T | undefined;
  let bodyFailed = false;
  let bodyError: unknown;
  try {
    result = await storage.run(tg._scope, fn!, tg);
  } catch (error) {
    bodyFailed = true;
    bodyError = error;
  }
  await tg._finish(bodyFailed, bodyError);
  return result as T;
}
