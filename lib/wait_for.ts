/**
 * `waitFor(fnOrPromise, ms)`: await with a time limit. Mirrors
 * `asyncio.wait_for`.
 *
 * @module
 */

import { Future } from "./future.ts";
import { now } from "./_core/_timers.ts";
import {
  type Awaitable,
  awaitIn,
  checkAwaitable,
} from "./_core/_awaitables.ts";
import { checkDeadline, timeoutMessage, withDeadline } from "./timeout.ts";
import { TimeoutError } from "./errors.ts";
import { currentScope } from "./_core/_scope.ts";

/**
 * Waits for `work` for at most `ms` milliseconds. A function runs in the
 * timed scope (it gets the scope's signal); a Task or Future is cancelled on
 * expiry and awaited until it has unwound; a plain promise is abandoned.
 * Then `TimeoutError` is thrown. `ms` of `null`/`undefined` waits forever.
 *
 * A plain promise cannot be interrupted: it is left running, and the
 * reaction aio registered on it cannot be removed, so each `waitFor` on a
 * promise that stays pending keeps about 0.7 KiB until that promise settles.
 * `waitFor(fn, 0)` (or a negative limit) throws `TimeoutError` without
 * starting `fn`; a value that comes back after the deadline is discarded.
 *
 * Mirrors `asyncio.wait_for(aw, timeout)`, in milliseconds.
 *
 * @param work A task function, or a promise, Task or Future.
 * @param ms The limit in milliseconds (`null`/`undefined`: none).
 * @returns What the work returns.
 * @throws {TimeoutError} If the limit passed.
 * @throws {TypeError} If `work` is not awaitable or `ms` is not a number.
 *
 * @example
 * ```ts
 * import { sleep, waitFor, TimeoutError } from "@seed/aio";
 * try {
 *   await waitFor(() => sleep(1_000), 10);
 * } catch (error) {
 *   console.log(error instanceof TimeoutError ? "timeout!" : error);
 * }
 * ```
 */
export function waitFor<T>(
  work: Awaitable<T>,
  ms: number | null | undefined,
): Promise<T> {
  checkAwaitable(work, "waitFor()");
  // asyncio returns a finished future's result even with a zero timeout.
  if (work instanceof Future && work.done()) {
    return Promise.resolve().then(() => work.result());
  }
  const limit = ms === undefined ? Infinity : checkDeadline(ms, "waitFor()");
  // asyncio: a zero (or negative) timeout never starts the work.
  if (limit <= 0 && typeof work === "function") {
    return Promise.reject(new TimeoutError(timeoutMessage("waitFor()")));
  }
  const deadline = now() + limit;
  return withDeadline(
    deadline,
    (scope) =>
      typeof work === "function"
        ? work(scope.signal)
        : awaitIn(work, currentScope()),
    "throw",
    "waitFor()",
  ) as Promise<T>;
}
