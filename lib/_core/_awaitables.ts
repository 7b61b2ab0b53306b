// Turning the things aio functions accept (task functions, promises, tasks,
// futures) into something awaitable in a scope, in one place; and reporting
// the errors of those items that nobody can receive.

import { reportError } from "./_report.ts";
import { Future, FutureState } from "../future.ts";
import { currentScope, type Scope } from "./_scope.ts";
import { waitPromise } from "./_trap.ts";
import { show } from "./_checks.ts";
import { type Awaitable, createTask, type Task } from "../task.ts";
import { CancelledError, isCancelled } from "../errors.ts";

export type { Awaitable };

/** Whether `value` has a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Throws a TypeError unless `item` is a function or a thenable. */
export function checkAwaitable(item: unknown, what: string): void {
  if (typeof item !== "function" && !isThenable(item)) {
    throw new TypeError(
      `${what}: expected a function, a promise, a Task or a Future, got ${
        show(item)
      }`,
    );
  }
}

/**
 * Awaits a promise, task or future as a cancellation point of `scope`;
 * cancelling the waiter cancels (and waits for) a Task or Future.
 */
export function awaitIn<T>(
  item: PromiseLike<T>,
  scope: Scope | undefined,
): Promise<T> {
  return item instanceof Future
    ? item._wait(scope, true)
    : waitPromise(item, scope);
}

// What of the loop this file uses (the loop imports tasks: no import here).
interface LoopLike {
  readonly closed: boolean;
  callExceptionHandler?(error: unknown, context: { message: string }): void;
  _addCleanup?(cleanup: () => void): void;
}

export { reportError };

const NEVER_RETRIEVED = "Future exception was never retrieved";

// Futures made from rejected promises, per run, checked when the run ends:
// those whose error nobody read are reported then (asyncio reports them when
// they are collected; a run's end is the deterministic analog).
const unreadByLoop = new WeakMap<object, UnreadFutures>();

class UnreadFutures {
  readonly futures = new Set<Future<unknown>>();
  #prunedAt = 64;

  add(future: Future<unknown>): void {
    const futures = this.futures;
    futures.add(future);
    // Keep only the unread ones: memory follows what is unread, not what
    // was ever waited for.
    if (futures.size >= this.#prunedAt) {
      for (const f of futures) if (f._retrieved()) futures.delete(f);
      this.#prunedAt = Math.max(64, futures.size * 2);
    }
  }

  flush(loop: LoopLike, scope: Scope | undefined): void {
    unreadByLoop.delete(loop);
    for (const future of this.futures) reportIfUnread(future, scope);
    this.futures.clear();
  }
}

function reportIfUnread(future: Future<unknown>, scope: Scope | undefined) {
  if (future._retrieved()) return;
  future._markRetrieved();
  reportError(future._value(), NEVER_RETRIEVED, scope);
}

function watchUnread(future: Future<unknown>, scope: Scope | undefined): void {
  const loop = scope?.loop as LoopLike | undefined;
  if (loop === undefined) return;
  if (loop.closed || loop._addCleanup === undefined) {
    // Nothing can read it any more: its run is over.
    reportIfUnread(future, scope);
    return;
  }
  let unread = unreadByLoop.get(loop);
  if (unread === undefined) {
    const made = unread = new UnreadFutures();
    unreadByLoop.set(loop, made);
    loop._addCleanup(() => made.flush(loop, scope));
  }
  unread.add(future);
}

/**
 * A Future fed by a promise-like, made in `scope`. A rejection nobody reads
 * by the end of the run is reported then; a rejection that comes after the
 * Future was cancelled is reported at once (unless it is a cancellation).
 * Never throws from the promise's reactions.
 */
export function promiseFuture<T>(
  item: PromiseLike<T>,
  scope: Scope | undefined,
): Future<T> {
  const future = new Future<T>();
  item.then(
    (value) => {
      if (!future.done()) future._settle(FutureState.FULFILLED, value);
    },
    (error) => {
      if (future.done()) {
        // Cancelled by whoever held it: the error has no reader left.
        if (!isCancelled(error)) reportError(error, NEVER_RETRIEVED, scope);
      } else if (error instanceof CancelledError) {
        future._settle(FutureState.CANCELLED, error);
      } else {
        future._settle(FutureState.REJECTED, error);
        watchUnread(future as Future<unknown>, scope);
      }
    },
  );
  return future;
}

/**
 * Futures for `items` (functions become tasks, promises feed Futures), the
 * same item given twice counted once. Every item is checked, and every
 * promise wrapped, before any function starts: a bad item or a throwing
 * `then` starts nothing.
 */
export function toFutures<T>(
  items: Iterable<Awaitable<T>>,
  what: string,
  requireItems = false,
): Future<T>[] {
  if (
    items === null || typeof items !== "object" ||
    typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `${what}: expected an iterable of awaitables, got ${show(items)}`,
    );
  }
  const all = [...items];
  if (requireItems && all.length === 0) {
    throw new TypeError(`${what}: no items to wait for`);
  }
  all.forEach((item, i) => checkAwaitable(item, `${what} item ${i}`));
  const list = [...new Set(all)];
  const scope = currentScope();
  const futures = list.map((item) =>
    item instanceof Future || typeof item === "function"
      ? undefined
      : promiseFuture(item as PromiseLike<T>, scope)
  );
  return list.map((item, i) =>
    item instanceof Future
      ? item
      : typeof item === "function"
      ? createTask(item) as Task<T>
      : futures[i]!
  );
}
