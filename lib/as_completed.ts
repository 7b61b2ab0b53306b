/**
 * `asCompleted(items)`: iterate over tasks in the order they finish.
 * Mirrors `asyncio.as_completed`.
 *
 * @module
 */

import { timeoutMessage } from "./timeout.ts";
import { TimeoutError } from "./errors.ts";
import type { Future } from "./future.ts";
import { currentScope } from "./_core/_scope.ts";
import { suspend, Wait } from "./_core/_trap.ts";
import { checkOptions } from "./_core/_checks.ts";
import { type Awaitable, toFutures } from "./_core/_awaitables.ts";
import { cancelTimer, now, schedule, type Timer } from "./_core/_timers.ts";

/** Options for {@linkcode asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Milliseconds for the whole iteration; then `TimeoutError`. `null` or
   * `Infinity` (the default): no limit.
   */
  timeout?: number | null;
}

/**
 * Yields each item's Future (functions become tasks, promises Futures) as
 * soon as it is done, earliest first; await what it yields to get the result
 * or the error. Each `next()` is a cancellation point, even when an item is
 * already done; several pending `next()` calls are served in call order, one
 * item each. Nothing is cancelled when the loop is left early; an error of
 * an item left behind that nobody reads is reported when the run ends.
 *
 * Mirrors `asyncio.as_completed(aws, timeout=None)` used with `async for`.
 *
 * @param items Tasks, Futures, promises or task functions.
 * @param options `timeout`.
 * @returns An async iterator of the items' Futures in completion order.
 * @throws {TimeoutError} If `timeout` passes before all are done.
 * @throws {TypeError} If an item is not awaitable.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@seed/aio";
 * await run(async () => {
 *   const order: string[] = [];
 *   for await (const task of asCompleted([() => sleep(20, "slow"), () => sleep(5, "fast")])) {
 *     order.push(await task);
 *   }
 *   console.log(order); // ["fast", "slow"]
 * });
 * ```
 */
export function asCompleted<T>(
  items: Iterable<Awaitable<T>>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<Future<T>> {
  checkOptions(options, AS_COMPLETED_OPTIONS, "asCompleted()");
  const ms = options?.timeout ?? Infinity;
  const deadline = ms === Infinity ? Infinity : now() + Math.max(0, ms);
  // Every item is checked before any function becomes a running task.
  const futures = toFutures(items, "asCompleted()");
  return new CompletionIterator(futures, deadline);
}

const AS_COMPLETED_OPTIONS = {
  timeout: (value: unknown): string | undefined =>
    value === null || (typeof value === "number" && !Number.isNaN(value))
      ? undefined
      : "must be a number of milliseconds or null",
};

type Step<T> = IteratorResult<Future<T>, undefined>;
const END: IteratorResult<never, undefined> = {
  value: undefined,
  done: true,
};

// One pending `next()`: served in call order, each with its own item.
class NextWait<T> extends Wait<Step<T>> {
  constructor(readonly iterator: CompletionIterator<T>) {
    super();
  }

  override arm(): void {
    this.iterator._arm(this);
  }

  override disarm(): void {
    this.iterator._disarm(this);
  }
}

// A plain async iterator, not an async generator: a generator would await
// the Futures it yields, and the caller wants the Futures themselves. Every
// `next()` is a cancellation point, even when an item is already done.
class CompletionIterator<T> implements AsyncIterableIterator<Future<T>> {
  readonly #futures: Future<T>[];
  // Done, not yet handed out, in completion order.
  readonly #finished: Future<T>[] = [];
  // Pending next() calls, oldest first.
  readonly #waiters: NextWait<T>[] = [];
  // Items not yet handed out.
  #remaining: number;
  #timer: Timer | undefined;
  #timedOut = false;
  #ended = false;
  readonly #onDone = (future: Future<T>): void => {
    if (this.#ended || this.#timedOut) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#finished.push(future);
    else this.#handOut(waiter, future);
  };

  constructor(futures: Future<T>[], deadline: number) {
    this.#futures = futures;
    this.#remaining = futures.length;
    if (futures.length === 0) this.#ended = true;
    for (const future of futures) future.addDoneCallback(this.#onDone);
    if (deadline !== Infinity && this.#remaining > 0) {
      this.#timer = schedule(deadline, () => this.#timeout());
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step<T>> {
    if (this.#ended) return Promise.resolve(END);
    return suspend(new NextWait(this), currentScope(), "future", this);
  }

  return(): Promise<Step<T>> {
    this.#end();
    return Promise.resolve(END);
  }

  /** @internal A next() begins waiting. */
  _arm(waiter: NextWait<T>): void {
    if (this.#ended) {
      waiter.wake(END);
    } else if (this.#finished.length > 0) {
      this.#handOut(waiter, this.#finished.shift()!);
    } else if (this.#timedOut) {
      this.#end();
      waiter.fail(this.#timeoutError());
    } else {
      this.#waiters.push(waiter);
    }
  }

  /** @internal A next() was cancelled. */
  _disarm(waiter: NextWait<T>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #handOut(waiter: NextWait<T>, future: Future<T>): void {
    waiter.wake({ value: future, done: false });
    if (--this.#remaining === 0) this.#end();
  }

  #timeoutError(): TimeoutError {
    return new TimeoutError(
      timeoutMessage("asCompleted()", "timed out before every item was done"),
    );
  }

  #timeout(): void {
    this.#timer = undefined;
    this.#timedOut = true;
    this.#release();
    // Items already done are still handed out first (asyncio's order).
    if (this.#waiters.length > 0) {
      const waiters = this.#waiters.splice(0);
      this.#end();
      for (const waiter of waiters) waiter.fail(this.#timeoutError());
    }
  }

  #release(): void {
    for (const future of this.#futures) future.removeDoneCallback(this.#onDone);
    if (this.#timer !== undefined) {
      cancelTimer(this.#timer);
      this.#timer = undefined;
    }
  }

  // Ends the iteration: pending next() calls get `done`.
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#release();
    this.#finished.length = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.wake(END);
  }
}
