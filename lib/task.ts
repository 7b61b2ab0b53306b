/**
 * `Task<T>`: a function running concurrently in a scope; `createTask`,
 * `currentTask`, `allTasks`, `currentSignal`. Mirrors `asyncio.Task`.
 *
 * @module
 */

import { CancelledError, InvalidStateError, isCancelled } from "./errors.ts";
import { closesAwaitCycle, Future, FutureState } from "./future.ts";
import {
  currentScope,
  Scope,
  type ScopeNursery,
  storage,
} from "./_core/_scope.ts";
import { checkFunction, show } from "./_core/_checks.ts";
import { suspend, Wait } from "./_core/_trap.ts";

/** The function a task runs: it gets the task's `AbortSignal`. */
export type TaskFunction<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/**
 * What `gather`, `wait`, `asCompleted`, `waitFor` and `shield` accept: a task
 * function (run as a child task) or a promise, Task or Future.
 */
export type Awaitable<T> = TaskFunction<T> | PromiseLike<T>;

/** Options for {@linkcode createTask} and `TaskGroup.createTask`. */
export interface CreateTaskOptions {
  /** A name for messages, the task tree and traces; defaults to `Task-N`. */
  name?: string;
}

let counter = 0;

/** Hooks for debug mode and tracing (set by `run` when asked). */
export interface TaskObserver {
  spawned?(task: Task<unknown>): void;
  started?(task: Task<unknown>): void;
  settled?(task: Task<unknown>): void;
  cancelled?(task: Task<unknown>, reason: unknown): void;
}

/**
 * A function running concurrently, owned by a scope (a task group or the
 * root of `run`). Awaiting a task is a cancellation point; if the awaiting
 * task is cancelled, the awaited one is cancelled too and waited for (as in
 * asyncio). A task starts on a later turn: one cancelled before it starts
 * never runs its body.
 *
 * Mirrors `asyncio.Task`.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from "@seed/aio";
 * await run(async () => {
 *   const task = createTask(async () => {
 *     await sleep(10);
 *     return 42;
 *   }, { name: "answer" });
 *   console.log(task.name, await task); // "answer" 42
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  #name: string | undefined;
  readonly #id: number = ++counter;
  /** @internal The task's own scope. */
  readonly scope: Scope;
  /** @internal Whether its own cancellation reached a cancellation point. */
  cancelDelivered = false;
  /** @internal The future this task is suspended on (await cycles). */
  awaiting: unknown = undefined;
  /** @internal When it was created, on aio's clock (ms since the epoch scale). */
  readonly createdAt: number = Date.now();
  #creationStack: string | (() => string) | undefined;
  #fn: TaskFunction<T> | undefined;
  #nursery: Nursery;
  #started = false;

  /** @internal Use `createTask` or `TaskGroup.createTask`. */
  constructor(
    fn: TaskFunction<T>,
    nursery: Nursery,
    name: string | undefined,
    shielded: boolean,
  ) {
    super();
    this.#name = name;
    this.#fn = fn;
    this.#nursery = nursery;
    this.scope = new Scope(nursery.scope, this, "task", shielded);
  }

  /** The task's name (`Task-N` unless one was given). */
  get name(): string {
    return this.#name ??= `Task-${this.#id}`;
  }

  /**
   * @internal Where it was created (debug mode only). Debug mode sets a
   * function, so that the stack is formatted only if someone reads it.
   */
  get creationStack(): string | undefined {
    const stack = this.#creationStack;
    return typeof stack === "function" ? this.#creationStack = stack() : stack;
  }

  set creationStack(stack: string | (() => string) | undefined) {
    this.#creationStack = stack;
  }

  /** The task's `AbortSignal`: aborted when it is cancelled. */
  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /** Whether its body has started running. */
  started(): boolean {
    return this.#started;
  }

  /**
   * Asks the task to stop: its next cancellation point throws
   * `CancelledError` (carrying `reason`). A task not yet started never runs.
   * @param reason Why; travels in the `CancelledError`.
   * @returns `false` if the task was already done.
   */
  override cancel(reason?: unknown): boolean {
    if (this.done()) return false;
    if (!this.scope.cancelled) {
      this.#nursery.observer?.cancelled?.(this, reason);
    }
    this.scope.cancel(reason);
    return true;
  }

  /**
   * Not allowed: a task's result is what its function returns.
   * @throws {InvalidStateError} Always.
   */
  override setResult(_value: T): void {
    throw new InvalidStateError(
      `Cannot set result of ${this.describe()}: a task sets its own`,
    );
  }

  /**
   * Not allowed: a task's exception is what its function throws.
   * @throws {InvalidStateError} Always.
   */
  override setException(_error: unknown): void {
    throw new InvalidStateError(
      `Cannot set exception of ${this.describe()}: a task sets its own`,
    );
  }

  /** `"Task"`: a Task is a `Promise<T>` to the type checker. */
  override get [Symbol.toStringTag](): string {
    return "Task";
  }

  /** A short description for messages. */
  override describe(): string {
    return `Task ${JSON.stringify(this.name)}`;
  }

  /** @internal Awaiting itself would never finish. */
  override _wait(scope: Scope | undefined, propagate: boolean): Promise<T> {
    if (scope !== undefined && !this.done()) {
      const awaiter = scope.task;
      if (awaiter === this) {
        return Promise.reject(
          new InvalidStateError(`${this.describe()} cannot await itself`),
        );
      }
      if (closesAwaitCycle(this, awaiter)) {
        return Promise.reject(
          new InvalidStateError(
            `${
              (awaiter as Task<unknown>).describe()
            } cannot await ${this.describe()}: it is waiting for ${
              (awaiter as Task<unknown>).describe()
            } (an await cycle)`,
          ),
        );
      }
    }
    return super._wait(scope, propagate);
  }

  /** @internal Cancel, then wait for it to unwind: structured. */
  override _onAwaiterCancelled(error: { reason: unknown }): Promise<void> {
    this.cancel(error.reason);
    if (this.done()) return Promise.resolve();
    return new Promise((resolve) => this.addDoneCallback(() => resolve()));
  }

  /** @internal Runs the body; called once, on a later turn. */
  _start(): void {
    const fn = this.#fn!;
    this.#fn = undefined;
    if (this.scope.cancelled) {
      this.#finish(false, this.scope.deliver());
      return;
    }
    this.#started = true;
    this.#nursery.observer?.started?.(this);
    // One async frame, entered once: it runs the body and settles the task.
    storage.run(this.scope, drive, this, fn);
  }

  /** @internal Settles the task with its body's outcome. */
  _finish(ok: boolean, value: unknown): void {
    this.#finish(ok, value);
  }

  #finish(ok: boolean, value: unknown): void {
    const scope = this.scope;
    scope.close();
    if (ok) {
      if (scope.cancelled && !this.cancelDelivered) {
        this._settle(FutureState.CANCELLED, scope.deliver());
      } else {
        this._settle(FutureState.FULFILLED, value);
      }
    } else if (
      value instanceof CancelledError || (scope.cancelled && isCancelled(value))
    ) {
      this._settle(FutureState.CANCELLED, value);
    } else {
      this._settle(FutureState.REJECTED, value);
    }
    this.#nursery._childDone(this);
  }
}

// Runs a task's body inside the task's scope and settles the task. The
// signal is made only for functions that take it: an AbortController per
// task would cost more than the rest of a spawn. A returned Task or Future is
// awaited as a cancellation point of the task (a native promise is the body
// itself, which meets its own cancellation points). No async frame: the
// outcome comes back through two shared reactions that find their task in
// the context they were registered in (an async frame costs 400 bytes a
// task, a reaction 100, and 100,000 live tasks are a GC's work).
function drive<T>(task: Task<T>, fn: TaskFunction<T>): void {
  let result: T | PromiseLike<T>;
  try {
    result = fn.length === 0
      ? (fn as () => T | PromiseLike<T>)()
      : fn(task.scope.signal);
  } catch (error) {
    task._finish(false, error);
    return;
  }
  if (result instanceof Future) {
    result._wait(task.scope, true).then(fulfilled, rejected);
  } else if (result instanceof Promise) {
    result.then(fulfilled, rejected);
  } else if (
    result !== null && (typeof result === "object" ||
      typeof result === "function") &&
    typeof (result as PromiseLike<T>).then === "function"
  ) {
    Promise.resolve(result).then(fulfilled, rejected);
  } else {
    // A plain value settles on the next turn, as `await value` did.
    Promise.resolve(result).then(fulfilled, rejected);
  }
}

function settling(): Task<unknown> {
  return storage.getStore()!.task as Task<unknown>;
}

function fulfilled(value: unknown): void {
  settling()._finish(true, value);
}

function rejected(error: unknown): void {
  settling()._finish(false, error);
}

/**
 * Owns tasks: the root of `run` and every task group have one. Its scope
 * does not close until every task it owns has settled.
 * @internal
 */
export class Nursery implements ScopeNursery {
  readonly scope: Scope;
  /** Set while failing (a child or the body failed): no new tasks. */
  aborting = false;
  /** Set once joined: no new tasks. */
  finished = false;
  /** While set, new tasks wait here to be started together (taskGroup's body). */
  holding: Task<unknown>[] | undefined = undefined;
  readonly observer: TaskObserver | undefined;
  #pending = 0;
  #idle: (() => void) | undefined;
  #onChildDone: (task: Task<unknown>) => void;

  constructor(
    scope: Scope,
    onChildDone: (task: Task<unknown>) => void,
    observer?: TaskObserver,
  ) {
    this.scope = scope;
    this.#onChildDone = onChildDone;
    this.observer = observer;
    scope.nursery = this;
  }

  /** How many of its tasks have not settled. */
  get pending(): number {
    return this.#pending;
  }

  spawn<T>(
    fn: TaskFunction<T>,
    name: string | undefined,
    shielded = false,
    eager = false,
  ): Task<T> {
    const task = new Task(fn, this, name, shielded);
    this.#pending++;
    this.observer?.spawned?.(task);
    const holding = this.holding;
    if (holding !== undefined) holding.push(task);
    else if (eager) task._start(); // runs its body up to its first await now
    else queueMicrotask(() => task._start());
    return task;
  }

  _childDone(task: Task<unknown>): void {
    this.observer?.settled?.(task);
    this.#onChildDone(task);
    if (--this.#pending === 0 && this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  /**
   * Resolves once every task has settled. Not a cancellation point: the
   * cancellation reaches the tasks instead. Waits through the one wait
   * primitive as `scope`'s wait, when given (a group's exit).
   */
  join(scope?: Scope): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    if (scope === undefined) {
      return new Promise((resolve) => {
        this.#idle = resolve;
      });
    }
    const wait = new JoinWait(this);
    return suspend(wait, scope, "group", this.scope, true);
  }

  /** @internal */
  _setIdle(idle: (() => void) | undefined): void {
    this.#idle = idle;
  }
}

// A group's exit: waits for the nursery to be empty; cancellation does not
// interrupt it (it reaches the children).
class JoinWait extends Wait<void> {
  constructor(readonly nursery: Nursery) {
    super();
  }

  override arm(): void {
    if (this.nursery.pending === 0) this.wake();
    else this.nursery._setIdle(() => this.wake());
  }
}

/** The nearest open task owner around `scope`. */
export function nearestNursery(scope: Scope | undefined): Nursery | undefined {
  while (scope !== undefined) {
    const nursery = scope.nursery as Nursery | undefined;
    if (nursery !== undefined && !nursery.finished) return nursery;
    scope = scope.parent;
  }
  return undefined;
}

/** Validates task options and returns the name. */
export function taskName(options: unknown, what: string): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  const name = (options as CreateTaskOptions).name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`${what}: name must be a string, got ${show(name)}`);
  }
  return name;
}

/**
 * Starts `fn` as a task owned by the nearest enclosing task group, or by the
 * root of the current `run` (whose end cancels and awaits leftovers).
 *
 * Mirrors `asyncio.create_task(coro, name=...)`.
 *
 * @param fn The task function; it receives the task's `AbortSignal`.
 * @param options `name`.
 * @returns The task, awaitable.
 * @throws {TypeError} If `fn` is not a function.
 * @throws {InvalidStateError} Outside `run()` and any task group, or when the owning group is failing.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from "@seed/aio";
 * await run(async () => {
 *   const task = createTask(async () => { await sleep(5); return "done"; });
 *   console.log(await task); // "done"
 * });
 * ```
 */
export function createTask<T>(
  fn: TaskFunction<T>,
  options?: CreateTaskOptions,
): Task<T> {
  checkFunction(fn, "createTask()");
  const name = taskName(options, "createTask()");
  const nursery = nearestNursery(currentScope());
  if (nursery === undefined) {
    throw new InvalidStateError(
      "createTask() needs a running aio loop: call it inside run() or a task group",
    );
  }
  if (nursery.aborting) {
    throw new InvalidStateError(
      "Cannot create a task: its task group is shutting down after a failure",
    );
  }
  return nursery.spawn(fn, name);
}

/**
 * The task whose code is running now, or `undefined` outside any task.
 * Mirrors `asyncio.current_task()`.
 *
 * @returns The current task.
 *
 * @example
 * ```ts
 * import { createTask, currentTask, run } from "@seed/aio";
 * await run(async () => {
 *   const task = createTask(() => currentTask()?.name, { name: "worker" });
 *   console.log(await task); // "worker"
 * });
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  return currentScope()?.task as Task<unknown> | undefined;
}

/**
 * Every task of the current `run` that is not done yet (empty outside one).
 * Mirrors `asyncio.all_tasks()`.
 *
 * @returns The live tasks, parents before children.
 *
 * @example
 * ```ts
 * import { allTasks, createTask, run, sleep } from "@seed/aio";
 * await run(async () => {
 *   createTask(() => sleep(10));
 *   await sleep(0);
 *   console.log(allTasks().length); // 2: main and the sleeper
 * });
 * ```
 */
export function allTasks(): Task<unknown>[] {
  let root = currentScope();
  if (root === undefined) return [];
  while (root.parent !== undefined) root = root.parent;
  const tasks: Task<unknown>[] = [];
  const visit = (scope: Scope): void => {
    const task = scope.task;
    if (
      task !== undefined && task.scope === scope && task instanceof Task &&
      !task.done()
    ) {
      tasks.push(task);
    }
    for (const child of scope.children()) visit(child);
  };
  visit(root);
  return tasks;
}

/**
 * The `AbortSignal` of the current scope: aborted when the current task, or
 * any scope around the caller, is cancelled. Hand it to `fetch`, `Deno` APIs
 * and `@std/async`. Outside any task, a signal that never aborts.
 *
 * @returns The signal.
 *
 * @example
 * ```ts
 * import { currentSignal, run } from "@seed/aio";
 * await run(() => {
 *   console.log(currentSignal().aborted); // false
 * });
 * ```
 */
export function currentSignal(): AbortSignal {
  return currentScope()?.signal ?? neverAborted;
}

const neverAborted = new AbortController().signal;
