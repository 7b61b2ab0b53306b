/**
 * `getRunningLoop()` and the `EventLoop` it returns: the clock, callbacks
 * scheduled on it, and factories for futures and tasks, for code ported from
 * asyncio's lower-level examples. Mirrors `asyncio.get_running_loop()`.
 *
 * @module
 */

import { InvalidStateError } from "./errors.ts";
import { Future } from "./future.ts";
import { cancelTimer, now, schedule, type Timer } from "./_core/_timers.ts";
import { currentScope, type Scope, storage } from "./_core/_scope.ts";
import { checkDelay, checkFunction, show } from "./_core/_checks.ts";
import { checkSignal, keepAlive, listen } from "./_core/_signals.ts";
import {
  type CreateTaskOptions,
  type Nursery,
  type Task,
  type TaskFunction,
  taskName,
} from "./task.ts";
import type { Executor } from "./workers/executor.ts";

/**
 * A callback scheduled with `callSoon`, `callLater` or `callAt`.
 * Mirrors `asyncio.Handle` / `asyncio.TimerHandle`.
 */
export class Handle {
  readonly #when: number;
  #timer: Timer | undefined;
  #cancelled = false;
  readonly #onDone: (handle: Handle) => void;

  /** @internal Made by the loop. */
  constructor(
    when: number,
    callback: () => void,
    onDone: (handle: Handle) => void,
  ) {
    this.#when = when;
    this.#onDone = onDone;
    this.#timer = schedule(when, () => {
      this.#timer = undefined;
      onDone(this);
      callback();
    });
  }

  /** When the callback is (or was) due, on the loop's clock. */
  when(): number {
    return this.#when;
  }

  /** Stops the callback from running; a no-op once it ran. */
  cancel(): void {
    if (this.#timer === undefined) return;
    cancelTimer(this.#timer);
    this.#timer = undefined;
    this.#cancelled = true;
    this.#onDone(this);
  }

  /** Whether `cancel()` stopped it. */
  cancelled(): boolean {
    return this.#cancelled;
  }
}

/** Handles an error thrown by a callback scheduled on the loop. */
export type ExceptionHandler = (
  error: unknown,
  context: { message: string },
) => void;

/**
 * The loop of one `run()`: its clock, scheduled callbacks and factories.
 * Everything scheduled on it is cancelled when `run()` ends.
 *
 * Mirrors `asyncio.AbstractEventLoop` (the parts that map to Deno).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@seed/aio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const future = loop.createFuture<string>();
 *   loop.callLater(5, () => future.setResult("called back"));
 *   console.log(await future); // "called back"
 * });
 * ```
 */
export class EventLoop {
  /** @internal Set once `run()` has finished. */
  closed = false;
  readonly #handles = new Set<Handle>();
  readonly #cleanups: (() => void | Promise<void>)[] = [];
  #root: Nursery | undefined;
  #exceptionHandler: ExceptionHandler | undefined;
  // Every Deno signal listener this run installed (removed when it ends),
  // and the one handler per signal that addSignalHandler keeps.
  readonly #signalListeners = new Set<() => void>();
  readonly #signalHandlers = new Map<Deno.Signal, () => void>();
  #keepAlive: (() => void) | undefined; // held while a handler is installed

  /** @internal Made by `run()`. */
  constructor() {}

  /** @internal Binds the loop to its root scope. */
  _bind(root: Nursery): void {
    this.#root = root;
  }

  /** @internal The root scope. */
  get _rootScope(): Scope {
    return this.#root!.scope;
  }

  /**
   * The loop's monotonic clock in milliseconds (for `timeoutAt`, `callAt`).
   * @returns Now, on the loop's clock.
   */
  time(): number {
    return now();
  }

  /** Whether the loop's `run()` is still going. */
  isRunning(): boolean {
    return !this.closed;
  }

  /**
   * Runs `callback(...args)` on a later turn.
   * @param callback The function.
   * @param args Its arguments.
   * @returns A handle that can cancel it.
   * @throws {TypeError} If `callback` is not a function.
   */
  callSoon<A extends unknown[]>(
    callback: (...args: A) => void,
    ...args: A
  ): Handle {
    return this.callAt(now(), callback, ...args);
  }

  /**
   * Runs `callback(...args)` after `ms` milliseconds.
   * @param ms The delay.
   * @param callback The function.
   * @param args Its arguments.
   * @returns A handle that can cancel it.
   * @throws {TypeError} If `ms` is not a number or `callback` not a function.
   */
  callLater<A extends unknown[]>(
    ms: number,
    callback: (...args: A) => void,
    ...args: A
  ): Handle {
    checkDelay(ms, "callLater()");
    return this.callAt(now() + Math.max(0, ms), callback, ...args);
  }

  /**
   * Runs `callback(...args)` once the loop's clock reaches `when`.
   * @param when The time, on the loop's clock.
   * @param callback The function.
   * @param args Its arguments.
   * @returns A handle that can cancel it.
   * @throws {TypeError} If `when` is not a number or `callback` not a function.
   * @throws {InvalidStateError} If the loop is closed.
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): Handle {
    checkDelay(when, "callAt()");
    checkFunction(callback, "callAt()");
    this.#checkOpen("schedule a callback");
    const scope = this._rootScope;
    const handle = new Handle(when, () => {
      try {
        storage.run(scope, callback, ...args);
      } catch (error) {
        this.#report(error, "Exception in callback");
      }
    }, (h) => this.#handles.delete(h));
    this.#handles.add(handle);
    return handle;
  }

  /**
   * A new pending future.
   * @returns The future.
   */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>();
  }

  /**
   * Starts a task owned by the root of this loop's `run()`.
   * @param fn The task function.
   * @param options `name`.
   * @returns The task.
   * @throws {InvalidStateError} If the loop is closed.
   */
  createTask<T>(fn: TaskFunction<T>, options?: CreateTaskOptions): Task<T> {
    checkFunction(fn, "EventLoop.createTask()");
    const name = taskName(options, "EventLoop.createTask()");
    this.#checkOpen("create a task");
    return this.#root!.spawn(fn, name);
  }

  /**
   * @internal Finds a run's default executor; set by
   * lib/workers/to_thread.ts when it loads. This module does not import
   * the worker pool, so a program that never offloads never loads it.
   */
  static _defaultExecutor: ((loop: EventLoop) => Executor) | undefined;

  /**
   * Runs the self-contained function `fn(...args)` in `executor` (a
   * `WorkerPool`, or any `Executor`), or with `undefined` in this run's
   * default pool (the one `toThread` uses, loaded on first use), and
   * returns its result. `fn` travels as source text: closures do not
   * travel. A cancellation point.
   *
   * Mirrors `loop.run_in_executor(executor, func, *args)`.
   *
   * @param executor Where to run it; `undefined` (or `null`) for the default pool.
   * @param fn A self-contained function.
   * @param args Its arguments (structured-cloneable).
   * @returns What `fn` returned (awaited).
   * @throws {TypeError} If `executor` is not an Executor or `fn` cannot travel.
   * @throws {InvalidStateError} If the loop is closed.
   */
  runInExecutor<A extends unknown[], R>(
    executor: Executor | undefined | null,
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<R> {
    if (
      executor !== undefined && executor !== null &&
      typeof (executor as Partial<Executor>).submit !== "function"
    ) {
      throw new TypeError(
        `runInExecutor(): executor must be an Executor or undefined, got ${
          show(executor)
        }`,
      );
    }
    this.#checkOpen("run in an executor");
    if (executor !== undefined && executor !== null) {
      return executor.submit(fn, ...args);
    }
    // The default executor registers itself when the workers part loads
    // (every entry point that exports the loop does load it): the core
    // never imports the workers, so the module graph has no cycle.
    const find = EventLoop._defaultExecutor;
    if (find !== undefined) return find(this).submit(fn, ...args);
    throw new InvalidStateError(
      "runInExecutor(): no default executor is loaded: import @seed/aio (or @seed/aio/workers), or pass an executor",
    );
  }

  /**
   * Sets the handler for errors thrown by scheduled callbacks (default:
   * print them to stderr).
   * @param handler The handler, or `undefined` for the default.
   */
  setExceptionHandler(handler: ExceptionHandler | undefined): void {
    if (handler !== undefined) checkFunction(handler, "setExceptionHandler()");
    this.#exceptionHandler = handler;
  }

  /**
   * Reports an error that no caller can receive (a secondary error of
   * `gather`, an unread rejection of an item of `wait`) to the exception
   * handler, or prints it to stderr when none is set.
   * Mirrors `loop.call_exception_handler(context)`.
   * @param error The error.
   * @param context `message`: what happened.
   */
  callExceptionHandler(error: unknown, context: { message: string }): void {
    this.#report(error, context.message);
  }

  /**
   * Calls `callback(...args)` each time the process receives `sig`,
   * replacing this loop's earlier handler for `sig`. The callback runs in
   * the root scope of this `run()`; an error it throws goes to the
   * exception handler (it never crashes the process). Handlers are removed
   * when `run()` ends. While a handler for SIGINT or SIGTERM is installed,
   * that signal no longer ends the process by itself.
   *
   * Mirrors `loop.add_signal_handler(sig, callback, *args)`.
   *
   * @param sig The signal's name, e.g. `"SIGHUP"`.
   * @param callback The function.
   * @param args Its arguments.
   * @throws {TypeError} If `sig` is not a signal name that can be handled
   *   (SIGKILL and SIGSTOP cannot), or `callback` is not a function.
   * @throws {InvalidStateError} If the loop is closed.
   *
   * @example
   * ```ts
   * import { Event, getRunningLoop, run } from "@seed/aio";
   * await run(async () => {
   *   const loop = getRunningLoop();
   *   const hup = new Event();
   *   loop.addSignalHandler("SIGHUP", () => hup.set());
   *   Deno.kill(Deno.pid, "SIGHUP");
   *   await hup.wait();
   *   console.log(loop.removeSignalHandler("SIGHUP")); // true
   * });
   * ```
   */
  addSignalHandler<A extends unknown[]>(
    sig: Deno.Signal,
    callback: (...args: A) => void,
    ...args: A
  ): void {
    checkSignal(sig, "addSignalHandler()", true);
    checkFunction(callback, "addSignalHandler()");
    this.#checkOpen("add a signal handler");
    const scope = this._rootScope;
    const remove = this._listenSignal(sig, () => {
      storage.run(scope, callback, ...args);
    });
    this.#signalHandlers.get(sig)?.();
    this.#signalHandlers.set(sig, remove);
    // While a handler waits for its signal, the program stays alive (as
    // asyncio's loop runs on): a Deno signal listener alone would not.
    this.#keepAlive ??= keepAlive();
  }

  /**
   * Removes the handler `addSignalHandler` installed for `sig`.
   *
   * Mirrors `loop.remove_signal_handler(sig)`.
   *
   * @param sig The signal's name.
   * @returns Whether a handler was removed.
   * @throws {TypeError} If `sig` is not a signal name.
   */
  removeSignalHandler(sig: Deno.Signal): boolean {
    checkSignal(sig, "removeSignalHandler()");
    const remove = this.#signalHandlers.get(sig);
    if (remove === undefined) return false;
    this.#signalHandlers.delete(sig);
    remove();
    if (this.#signalHandlers.size === 0) {
      this.#keepAlive?.();
      this.#keepAlive = undefined;
    }
    return true;
  }

  /**
   * @internal Installs a Deno signal listener for this run: an error it
   * throws is reported, and it is removed when `run()` ends (or by calling
   * the returned function). The name must have been checked.
   */
  _listenSignal(sig: Deno.Signal, listener: () => void): () => void {
    const removeListener = listen(sig, () => {
      try {
        listener();
      } catch (error) {
        this.#report(error, `Exception in the ${sig} handler`);
      }
    });
    const remove = (): void => {
      this.#signalListeners.delete(remove);
      removeListener();
    };
    this.#signalListeners.add(remove);
    return remove;
  }

  /** @internal Registers work to do when `run()` ends (stop worker pools). */
  _addCleanup(cleanup: () => void | Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /** @internal Cancels scheduled callbacks and runs cleanups. */
  async _close(): Promise<void> {
    for (const handle of [...this.#handles]) handle.cancel();
    const errors: unknown[] = [];
    while (this.#cleanups.length > 0) {
      try {
        await this.#cleanups.pop()!();
      } catch (error) {
        errors.push(error);
      }
    }
    // Signal handlers stay until the cleanups are done (a second Ctrl-C
    // while processes are being stopped still reaches runMain).
    for (const remove of [...this.#signalListeners]) remove();
    this.#signalHandlers.clear();
    this.#keepAlive?.();
    this.#keepAlive = undefined;
    this.closed = true;
    for (const error of errors) this.#report(error, "Exception in cleanup");
  }

  #report(error: unknown, message: string): void {
    if (this.#exceptionHandler !== undefined) {
      try {
        this.#exceptionHandler(error, { message });
      } catch (handlerError) {
        console.error(`aio: ${message}:`, error);
        console.error("aio: the exception handler failed:", handlerError);
      }
    } else {
      console.error(`aio: ${message}:`, error);
    }
  }

  #checkOpen(what: string): void {
    if (this.closed) {
      throw new InvalidStateError(`Cannot ${what}: the event loop is closed`);
    }
  }
}

/**
 * The loop of the `run()` the caller is in.
 *
 * Mirrors `asyncio.get_running_loop()`.
 *
 * @returns The running loop.
 * @throws {InvalidStateError} Outside `run()`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@seed/aio";
 * await run(() => {
 *   const loop = getRunningLoop();
 *   console.log(typeof loop.time()); // "number"
 * });
 * ```
 */
export function getRunningLoop(): EventLoop {
  const loop = currentScope()?.loop;
  if (loop === undefined || loop.closed) {
    throw new InvalidStateError(
      "No running event loop: call this inside run()",
    );
  }
  return loop as EventLoop;
}
