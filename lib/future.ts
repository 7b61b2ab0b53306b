/**
 * `Future<T>`: a placeholder for a result that someone sets later, awaitable
 * as a cancellation point; mirrors `asyncio.Future`.
 *
 * @module
 */

import { CancelledError, InvalidStateError } from "./errors.ts";
import { currentScope, type Scope, type ScopeTask } from "./_core/_scope.ts";
import { suspend, Wait } from "./_core/_trap.ts";
import { reportError } from "./_core/_report.ts";
import { show } from "./_core/_checks.ts";

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;
const CANCELLED = 3;
type State =
  | typeof PENDING
  | typeof FULFILLED
  | typeof REJECTED
  | typeof CANCELLED;

/** A callback run once a future is done; it receives the future. */
export type DoneCallback<T> = (future: Future<T>) => void;

/**
 * A result that is set later by whoever holds the future. Awaiting it is a
 * cancellation point: if the awaiting task is cancelled first, the future
 * is cancelled too (as in asyncio) and the awaiter gets `CancelledError`.
 *
 * Mirrors `asyncio.Future` (`loop.create_future()`).
 *
 * @example
 * ```ts
 * import { Future, run, sleep, createTask } from "@seed/aio";
 * const value = await run(async () => {
 *   const future = new Future<string>();
 *   createTask(async () => {
 *     await sleep(10);
 *     future.setResult("ready");
 *   });
 *   return await future;
 * });
 * console.log(value); // "ready"
 * ```
 */
export class Future<T = unknown> implements Promise<T> {
  /**
   * `"Future"` (`"Task"` for a task): with `then`, `catch` and `finally` it
   * makes a Future usable wherever a `Promise<T>` is expected.
   */
  get [Symbol.toStringTag](): string {
    return "Future";
  }

  #state: State = PENDING;
  #value: unknown = undefined;
  // Stored without T so that a Future<T> is usable as a Future<unknown>.
  // A suspended awaiter is its own entry (no closure per await).
  #callbacks: (((future: unknown) => void) | FutureWait<unknown>)[] | undefined;
  #retrieved = false;

  /** Whether the outcome is known (result, exception or cancellation). */
  done(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * The result.
   * @returns The value it was set to.
   * @throws {InvalidStateError} While pending.
   * @throws {CancelledError} If cancelled.
   * @throws {unknown} The exception it was set to.
   */
  result(): T {
    if (this.#state === PENDING) {
      throw new InvalidStateError(
        `Cannot read result: ${this.describe()} is not done`,
      );
    }
    this.#retrieved = true;
    if (this.#state === FULFILLED) return this.#value as T;
    throw this.#value;
  }

  /**
   * The exception, or `undefined` if it completed with a result.
   * @throws {InvalidStateError} While pending.
   * @throws {CancelledError} If cancelled.
   */
  exception(): unknown {
    if (this.#state === PENDING) {
      throw new InvalidStateError(
        `Cannot read exception: ${this.describe()} is not done`,
      );
    }
    this.#retrieved = true;
    if (this.#state === CANCELLED) throw this.#value;
    return this.#state === REJECTED ? this.#value : undefined;
  }

  /**
   * Completes with `value`.
   * @throws {InvalidStateError} If already done.
   */
  setResult(value: T): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(
        `Cannot set result: ${this.describe()} is already done`,
      );
    }
    this._settle(FULFILLED, value);
  }

  /**
   * Completes with an exception.
   * @throws {InvalidStateError} If already done.
   * @throws {TypeError} If `error` is a `CancelledError` (use `cancel()`).
   */
  setException(error: unknown): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(
        `Cannot set exception: ${this.describe()} is already done`,
      );
    }
    if (error instanceof CancelledError) {
      throw new TypeError(
        "Cannot set a CancelledError as exception: use cancel()",
      );
    }
    this._settle(REJECTED, error);
  }

  /**
   * Cancels the future.
   * @param reason Carried by the `CancelledError` its awaiters get.
   * @returns `false` if it was already done.
   */
  cancel(reason?: unknown): boolean {
    if (this.#state !== PENDING) return false;
    this._settle(CANCELLED, new CancelledError(reason));
    return true;
  }

  /**
   * Runs `callback(future)` once done (at once, if it already is).
   * @throws {TypeError} If `callback` is not a function.
   */
  addDoneCallback(callback: DoneCallback<T>): void {
    if (typeof callback !== "function") {
      throw new TypeError(
        `addDoneCallback: expected a function, got ${show(callback)}`,
      );
    }
    if (this.#state !== PENDING) {
      this.#call(callback as (future: unknown) => void);
      return;
    }
    (this.#callbacks ??= []).push(callback as (future: unknown) => void);
  }

  /**
   * Removes every registration of `callback`.
   * @returns How many were removed.
   */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const list = this.#callbacks;
    if (list === undefined) return 0;
    const kept = list.filter((cb) => cb !== (callback as unknown));
    this.#callbacks = kept;
    return list.length - kept.length;
  }

  /**
   * Awaits the future as a cancellation point of the awaiting task.
   * @returns A promise of the handlers' results.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._wait(currentScope(), true).then(onFulfilled, onRejected);
  }

  /** Like a promise's `catch`. */
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  /** Like a promise's `finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  /** A short description for messages ("Future", "Task 'name'"). */
  describe(): string {
    return "Future";
  }

  /** @internal Whether an error outcome was read by anyone (for "never retrieved" reports). */
  _retrieved(): boolean {
    return this.#retrieved || this.#state !== REJECTED;
  }

  /** @internal Marks the outcome as read (a task group collected the error). */
  _markRetrieved(): void {
    this.#retrieved = true;
  }

  /** @internal The raw state (see FutureState). */
  _state(): number {
    return this.#state;
  }

  /** @internal The raw value: result, exception or CancelledError. */
  _value(): unknown {
    return this.#value;
  }

  /** @internal Settles and runs the callbacks (Task uses it). */
  _settle(state: State, value: unknown): void {
    this.#state = state;
    this.#value = value;
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    if (callbacks !== undefined) {
      for (const callback of callbacks) {
        if (callback instanceof FutureWait) {
          callback.onDone();
          continue;
        }
        this.#call(callback);
      }
    }
  }

  /** @internal Called when an awaiter of this future is cancelled (asyncio cancels the awaited). */
  _onAwaiterCancelled(error: CancelledError): Promise<void> {
    this.cancel(error.reason);
    return Promise.resolve();
  }

  // A throwing callback is reported once and never stops the others
  // (asyncio: "Exception in callback").
  #call(callback: (future: unknown) => void): void {
    try {
      callback(this);
    } catch (error) {
      reportError(
        error,
        `Exception in done callback of ${this.describe()}`,
        this._reportScope(),
      );
    }
  }

  /** @internal The scope whose run hears this future's stray errors. */
  _reportScope(): Scope | undefined {
    return currentScope();
  }

  /**
   * @internal
   * Waits for the outcome as a cancellation point of `scope`.
   * @param propagate Cancel this future when the waiter is cancelled.
   */
  _wait(scope: Scope | undefined, propagate: boolean): Promise<T> {
    if (this.#state !== PENDING && (scope === undefined || !scope.cancelled)) {
      return this.#settled();
    }
    return suspend(new FutureWait<T>(this, propagate), scope, "future", this);
  }

  /** @internal Adds a suspended awaiter. */
  _addWaiter(wait: FutureWait<unknown>): void {
    if (this.#state !== PENDING) {
      wait.onDone();
      return;
    }
    (this.#callbacks ??= []).push(wait);
  }

  /** @internal Drops a suspended awaiter that was cancelled. */
  _removeWaiter(wait: FutureWait<unknown>): void {
    const list = this.#callbacks;
    if (list === undefined) return;
    const index = list.indexOf(wait);
    if (index >= 0) list.splice(index, 1);
  }

  /** @internal The outcome, for a waiter: marks it read. */
  _take(): [ok: boolean, value: unknown] {
    this.#retrieved = true;
    return [this.#state === FULFILLED, this.#value];
  }

  #settled(): Promise<T> {
    this.#retrieved = true;
    return this.#state === FULFILLED
      ? Promise.resolve(this.#value as T)
      : Promise.reject(this.#value);
  }
}

/** Internal state codes, shared with Task. */
export const FutureState = { PENDING, FULFILLED, REJECTED, CANCELLED } as const;

/**
 * An awaiter suspended on a future (through the one wait primitive). When
 * cancelled with `propagate`, it cancels the future and fails only once the
 * future has settled (structured: the awaited work has unwound); if the
 * future then ended with an error of its own, that error is the one thrown.
 */
class FutureWait<T> extends Wait<T> {
  constructor(readonly future: Future<T>, readonly propagate: boolean) {
    super();
  }

  // The task suspended here, whose `awaiting` names this future meanwhile
  // (await cycles are found by following those links).
  awaiter: ScopeTask | undefined = undefined;

  override arm(): void {
    const task = this.linkedTo?.task;
    if (task !== undefined) {
      this.awaiter = task;
      task.awaiting = this.future;
    }
    this.future._addWaiter(this as FutureWait<unknown>);
  }

  override wake(value: T): boolean {
    this.#release();
    return super.wake(value);
  }

  override fail(error: unknown): boolean {
    this.#release();
    return super.fail(error);
  }

  #release(): void {
    const task = this.awaiter;
    if (task !== undefined && task.awaiting === this.future) {
      task.awaiting = undefined;
    }
  }

  override disarm(): void {
    this.future._removeWaiter(this as FutureWait<unknown>);
  }

  onDone(): void {
    if (this.settled) return;
    const [ok, value] = this.future._take();
    if (ok) this.wake(value as T);
    else this.fail(value);
  }

  override cancel(error: CancelledError): void {
    this.disarm();
    const future = this.future;
    if (!this.propagate || future.done()) {
      this.fail(error);
      return;
    }
    // An await cycle (the future's task is, through others, waiting for
    // this awaiter): waiting for it to unwind would never end. Cancel it and
    // leave at once; the cancellation breaks the cycle.
    if (awaits(future, this.awaiter, CYCLE_STEPS)) {
      future._onAwaiterCancelled(error);
      this.fail(error);
      return;
    }
    future._onAwaiterCancelled(error).then(() => {
      const state = future._state();
      if (state === FutureState.REJECTED && !future._retrieved()) {
        // The work failed while unwinding: its error wins over the
        // cancellation (asyncio 3.12's wait_for), thrown here exactly once.
        this.fail(future._take()[1]);
      } else this.fail(error);
    });
  }
}

// How far an await cycle is looked for: a chain of 100,000 tasks awaiting
// each other must stay linear, so cycles through more tasks than this are
// neither detected nor broken (documented on Task).
const CYCLE_STEPS = 1_000;

/** Whether `future`'s task is waiting, through a chain of tasks, for `task`. */
function awaits(
  future: unknown,
  task: ScopeTask | undefined,
  limit: number,
): boolean {
  if (task === undefined) return false;
  let current = future;
  for (let steps = 0; steps < limit; steps++) {
    if (current === task) return true;
    const next = (current as Partial<ScopeTask> | undefined)?.awaiting;
    if (next === undefined) return false;
    current = next;
  }
  return false;
}

/**
 * @internal Whether awaiting `future` from `task` closes an await cycle
 * (looked for a bounded number of steps; longer cycles are broken by
 * cancellation instead).
 */
export function closesAwaitCycle(
  future: Future<unknown>,
  task: ScopeTask | undefined,
): boolean {
  return awaits(future, task, CYCLE_STEPS);
}
