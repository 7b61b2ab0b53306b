/**
 * `wait(items, { returnWhen, timeout })`: wait until some or all of several
 * tasks are done, without cancelling any. Mirrors `asyncio.wait`.
 *
 * @module
 */

import { type Future, FutureState } from "./future.ts";
import { currentScope } from "./_core/_scope.ts";
import { suspend, Wait } from "./_core/_trap.ts";
import { checkOptions } from "./_core/_checks.ts";
import { type Awaitable, toFutures } from "./_core/_awaitables.ts";
import { cancelTimer, insert, now, type Timer } from "./_core/_timers.ts";

/** When {@linkcode wait} returns. */
export type ReturnWhen =
  | "FIRST_COMPLETED"
  | "FIRST_EXCEPTION"
  | "ALL_COMPLETED";

/** Options for {@linkcode wait}. */
export interface WaitOptions {
  /** Default `"ALL_COMPLETED"`. */
  returnWhen?: ReturnWhen;
  /**
   * Milliseconds to wait at most; then returns what is done so far.
   * `null` or `Infinity` (the default): no limit.
   */
  timeout?: number | null;
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
 * become Futures: the sets hold those. Every item is checked before any
 * function starts. `wait` reads no outcome: an error stays for whoever holds
 * the item, and one that nobody reads is reported when the run ends (a
 * task's by the run, a promise's to the loop's exception handler).
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
  checkOptions(options, WAIT_OPTIONS, "wait()");
  const returnWhen = options?.returnWhen ?? "ALL_COMPLETED";
  const ms = options?.timeout ?? Infinity;
  const when = ms === Infinity ? Infinity : now() + Math.max(0, ms);
  // Every item is checked before any function becomes a running task.
  const futures = toFutures(items, "wait()", true);
  await suspend(
    new ItemsWait(futures, returnWhen, when),
    currentScope(),
    "future",
    futures,
  );
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const future of futures) (future.done() ? done : pending).add(future);
  return { done, pending };
}

const WAIT_OPTIONS = {
  returnWhen: (value: unknown): string | undefined =>
    RETURN_WHEN.has(value as string)
      ? undefined
      : "must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED",
  timeout: (value: unknown): string | undefined =>
    value === null || (typeof value === "number" && !Number.isNaN(value))
      ? undefined
      : "must be a number of milliseconds or null",
};

// One wait object for the whole call: it is the done callback of every item
// and, with a timeout, the heap timer. Reading outcomes here never marks an
// error as retrieved: whoever holds the item still owes it a reader.
class ItemsWait<T> extends Wait<boolean> implements Timer {
  seq = 0;
  index = -1;
  #pending = 0;
  readonly #onDone = (future: Future<T>): void => {
    if (
      --this.#pending === 0 || this.returnWhen === "FIRST_COMPLETED" ||
      (this.returnWhen === "FIRST_EXCEPTION" &&
        future._state() === FutureState.REJECTED)
    ) {
      this.disarm();
      this.wake(true);
    }
  };

  constructor(
    readonly futures: Future<T>[],
    readonly returnWhen: ReturnWhen,
    readonly when: number,
  ) {
    super();
  }

  override arm(): void {
    let pending = 0;
    let satisfied = false;
    for (const future of this.futures) {
      if (!future.done()) pending++;
      else if (
        this.returnWhen === "FIRST_COMPLETED" ||
        (this.returnWhen === "FIRST_EXCEPTION" &&
          future._state() === FutureState.REJECTED)
      ) {
        satisfied = true;
      }
    }
    if (satisfied || pending === 0) {
      this.wake(true);
      return;
    }
    this.#pending = pending;
    for (const future of this.futures) {
      if (!future.done()) future.addDoneCallback(this.#onDone);
    }
    if (this.when !== Infinity) insert(this);
  }

  override disarm(): void {
    for (const future of this.futures) future.removeDoneCallback(this.#onDone);
    if (this.index >= 0) cancelTimer(this);
  }

  /** The timeout: return what is done so far. */
  callback(): void {
    this.disarm();
    this.wake(false);
  }
}
