/**
 * `asCompleted(items)`: iterate over tasks in the order they finish.
 * Mirrors `asyncio.as_completed`.
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";
import type { Future } from "./future.ts";
import { currentScope } from "./_core/_scope.ts";
import { waitPromise } from "./_core/_trap.ts";
import { checkDelay, show } from "./_core/_checks.ts";
import {
  type Awaitable,
  checkAwaitable,
  toFuture,
} from "./_core/_awaitables.ts";
import { now } from "./_core/_timers.ts";
import { withDeadline } from "./timeout.ts";

/** Options for {@linkcode asCompleted}. */
export interface AsCompletedOptions {
  /** Milliseconds for the whole iteration; then `TimeoutError`. */
  timeout?: number;
}

/**
 * Yields each item's Future (functions become tasks, promises Futures) as
 * soon as it is done, earliest first; await what it yields to get the result
 * or the error. Each wait is a cancellation point; nothing is cancelled when
 * the loop is left early.
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
  if (
    items === null || typeof items !== "object" || !(Symbol.iterator in items)
  ) {
    throw new TypeError(
      `asCompleted(): expected an iterable of awaitables, got ${show(items)}`,
    );
  }
  const ms = options?.timeout;
  const deadline = ms === undefined
    ? Infinity
    : now() + checkDelay(ms, "asCompleted()");
  const list = [...items];
  // Check every item before any function becomes a running task.
  list.forEach((item, i) => checkAwaitable(item, `asCompleted() item ${i}`));
  const futures = [
    ...new Set(
      list.map((item, i) => toFuture(item, `asCompleted() item ${i}`)),
    ),
  ];
  return new CompletionIterator(futures, deadline);
}

// A plain async iterator, not an async generator: a generator would await
// the Futures it yields, and the caller wants the Futures themselves.
class CompletionIterator<T> implements AsyncIterableIterator<Future<T>> {
  readonly #futures: Future<T>[];
  readonly #deadline: number;
  readonly #finished: Future<T>[] = [];
  #remaining: number;
  #wake: (() => void) | undefined;
  readonly #onDone = (future: Future<T>): void => {
    this.#finished.push(future);
    this.#wake?.();
  };

  constructor(futures: Future<T>[], deadline: number) {
    this.#futures = futures;
    this.#deadline = deadline;
    this.#remaining = futures.length;
    for (const future of futures) future.addDoneCallback(this.#onDone);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Future<T>, undefined>> {
    if (this.#remaining === 0) return this.#end();
    if (this.#finished.length === 0) {
      const next = new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      let arrived: true | undefined;
      try {
        arrived = await withDeadline(
          this.#deadline,
          () => waitPromise(next, currentScope()).then(() => true as const),
          "undefined",
          "asCompleted()",
        );
      } catch (error) {
        this.#end();
        throw error;
      } finally {
        this.#wake = undefined;
      }
      if (arrived === undefined) {
        this.#end();
        throw new TimeoutError(
          "asCompleted(): timed out before every item was done",
        );
      }
    }
    this.#remaining--;
    return { value: this.#finished.shift()!, done: false };
  }

  return(): Promise<IteratorResult<Future<T>, undefined>> {
    return Promise.resolve(this.#end());
  }

  #end(): IteratorResult<Future<T>, undefined> {
    this.#remaining = 0;
    for (const future of this.#futures) future.removeDoneCallback(this.#onDone);
    return { value: undefined, done: true };
  }
}
