/**
 * `shield(fnOrTask)`: protect work from the caller's cancellation. Mirrors
 * `asyncio.shield`.
 *
 * @module
 */

import { Future } from "./future.ts";
import { cancellable, currentScope } from "./_scope.ts";
import { checkAwaitable } from "./_awaitables.ts";
import { nearestNursery, type TaskFunction } from "./task.ts";

/**
 * Runs `work` so that cancelling the caller does not cancel it: the caller
 * gets `CancelledError` at once while the work runs on to completion in a
 * shielded scope owned by the enclosing task group (or the root of `run`),
 * which waits for it before finishing. Given a Task or Future, waits for it
 * without passing the caller's cancellation on.
 *
 * Mirrors `asyncio.shield(aw)`.
 *
 * @param work A task function, or a Task, Future or promise.
 * @returns What the work returns.
 * @throws {TypeError} If `work` is not a function or awaitable.
 * @throws {CancelledError} If the caller is cancelled (the work goes on).
 *
 * @example
 * ```ts
 * import { run, shield, sleep, timeout } from "@seed/aio";
 * await run(async () => {
 *   let saved = false;
 *   try {
 *     await timeout(5, () => shield(async () => { await sleep(20); saved = true; }));
 *   } catch {
 *     console.log("caller timed out");
 *   }
 *   await sleep(30);
 *   console.log(saved); // true: the shielded work finished
 * });
 * ```
 */
export function shield<T>(work: TaskFunction<T> | PromiseLike<T>): Promise<T> {
  checkAwaitable(work, "shield()");
  const scope = currentScope();
  if (typeof work === "function") {
    const nursery = nearestNursery(scope);
    if (nursery === undefined) {
      // Outside run() and any group nothing can cancel the caller.
      return Promise.resolve().then(() => work(new AbortController().signal));
    }
    return nursery.spawn(work, "shield()", true)._wait(scope, false);
  }
  if (work instanceof Future) return work._wait(scope, false);
  return cancellable(work, undefined, scope);
}
