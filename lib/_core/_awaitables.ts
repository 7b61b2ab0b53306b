// Turning the things aio functions accept (task functions, promises, tasks,
// futures) into something awaitable in a scope, in one place.

import { Future } from "../future.ts";
import type { Scope } from "./_scope.ts";
import { waitPromise } from "./_trap.ts";
import { show } from "./_checks.ts";
import { type Awaitable, createTask } from "../task.ts";

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

/** A Future for any awaitable: functions become tasks, promises feed a Future. */
export function toFuture<T>(item: Awaitable<T>, what: string): Future<T> {
  checkAwaitable(item, what);
  if (item instanceof Future) return item;
  if (typeof item === "function") return createTask(item);
  const future = new Future<T>();
  (item as PromiseLike<T>).then(
    (value) => future.setResult(value),
    (error) => future.setException(error),
  );
  return future;
}
