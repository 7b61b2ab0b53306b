/**
 * `wait(items, { returnWhen, timeout })`: wait until some or all of several
 * tasks are done, without cancelling any. Mirrors `asyncio.wait`.
 *
 * @module
 */

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

/** When {@linkcode wait} returns. */
export type ReturnWhen =
  | "FIRST_COMPLETED"
  | "FIRST_EXCEPTION"
  | "ALL_COMPLETED";

/** Options for {@linkcode wait}. */
export interface WaitOptions {
  /** Default `"ALL_COMPLETED"`. */
  returnWhen?: ReturnWhen;
  /** Milliseconds to wait at most; then returns what is done so far. */
  timeout?: number;
}

/** What {@linkcode wait} returns: the items split by state. */
export interface WaitResult<T> {
  /** Items that are done (result, exception or cancelled). */
  done: Set<Future<T>>;
  /** Items still running. */
  pending: Set<Future<T>>;
}

const RETURN_WHEN = new Set([
  "FIRST_COMPLETED",
  "FIRST_EXCEPTION",
  "ALL_COMPLETED",
]);

/**
 * Waits until the items satisfy `returnWhen` or `timeout` passes, and splits
 * them into done and pending. Nothing is cancelled, and a timeout is not an
 * error. Functions become tasks of the enclosing group (or `run`), promises
 * become Futures: the sets hold those.
 *
 * Mirrors `asyncio.wait(aws, timeout=None, return_when=ALL_COMPLETED)`.
 *
 * @param items Tasks, Futures, promises or task functions.
 * @param options `returnWhen`, `timeout`.
 * @returns `{ done, pending }`.
 * @throws {TypeError} If `items` is empty or holds something not awaitable, or options are bad.
 * @throws {CancelledError} If the caller is cancelled.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep, wait } from "@seed/aio";
 * await run(async () => {
 *   const fast = createTask(() => sleep(5, "fast"));
 *   const slow = createTask(() => sleep(1_000, "slow"));
 *   const { done, pending } = await wait([fast, slow], { returnWhen: "FIRST_COMPLETED" });
 *   console.log(done.has(fast), pending.has(slow)); // true true
 *   slow.cancel();
 * });
 * ```
 */
export async function wait<T>(
  items: Iterable<Awaitable<T>>,
  options?: WaitOptions,
): Promise<WaitResult<T>> {
  if (
    items === null || typeof items !== "object" || !(Symbol.iterator in items)
  ) {
    throw new TypeError(
      `wait(): expected an iterable of awaitables, got ${show(items)}`,
    );
  }
  const returnWhen = options?.returnWhen ?? "ALL_COMPLETED";
  if (!RETURN_WHEN.has(returnWhen)) {
    throw new TypeError(`wait(): invalid returnWhen ${show(returnWhen)}`);
  }
  const ms = options?.timeout;
  if (ms !== undefined) checkDelay(ms, "wait()");
  const list = [...items];
  if (list.length === 0) throw new TypeError("wait(): no items to wait for");
  // Check every item before any function becomes a running task.
  list.forEach((item, i) => checkAwaitable(item, `wait() item ${i}`));
  const futures = [
    ...new Set(list.map((item, i) => toFuture(item, `wait() item ${i}`))),
  ];
  const satisfied = (): boolean => {
    let done = 0;
    for (const future of futures) {
      if (!future.done()) continue;
      done++;
      if (returnWhen === "FIRST_COMPLETED") return true;
      if (
        returnWhen === "FIRST_EXCEPTION" && !future.cancelled() &&
        future.exception() !== undefined
      ) {
        return true;
      }
    }
    return done === futures.length;
  };
  if (!satisfied()) {
    let wake!: () => void;
    const ready = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const check = (): void => {
      if (satisfied()) wake();
    };
    for (const future of futures) future.addDoneCallback(check);
    try {
      if (ms === undefined) await waitPromise(ready, currentScope());
      else {await withDeadline(
          now() + ms,
          () => waitPromise(ready, currentScope()),
          "undefined",
          "wait()",
        );}
    } finally {
      for (const future of futures) future.removeDoneCallback(check);
    }
  } else {
    await waitPromise(Promise.resolve(), currentScope());
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const future of futures) (future.done() ? done : pending).add(future);
  return { done, pending };
}
