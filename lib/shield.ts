/**
 * `shield(fnOrTask)`: protect work from the caller's cancellation. Mirrors
 * `asyncio.shield`; with `{ wait: true }`, Trio's shielded cancel scope.
 *
 * @module
 */

import { Future } from "./future.ts";
import { currentScope, Scope, storage } from "./_core/_scope.ts";
import { waitPromise } from "./_core/_trap.ts";
import { checkOptions } from "./_core/_checks.ts";
import { checkAwaitable } from "./_core/_awaitables.ts";
import { nearestNursery, type TaskFunction } from "./task.ts";

/** Options for {@linkcode shield}. */
export interface ShieldOptions {
  /**
   * Run a function in the caller, in a scope the outside cancellation does
   * not reach, and wait for it even if the caller is (or gets) cancelled:
   * for cleanup that must await in a `finally` of a cancelled task. The
   * cancellation is not lost: the caller's next cancellation point throws.
   * Default `false` (asyncio's behaviour: the caller stops waiting at once).
   */
  wait?: boolean;
}

/**
 * Runs `work` so that cancelling the caller does not cancel it: the caller
 * gets `CancelledError` at once while the work runs on to completion in a
 * shielded scope owned by the enclosing task group (or the root of `run`),
 * which waits for it before finishing. Given a Task or Future, waits for it
 * without passing the caller's cancellation on.
 *
 * With `{ wait: true }` the caller waits for the work instead, even when it
 * is already cancelled (Trio's `CancelScope(shield=True)`): the way to await
 * cleanup in the `finally` of a cancelled task, since cancellation is
 * level-triggered and every other cancellation point there throws.
 *
 * Mirrors `asyncio.shield(aw)`.
 *
 * @param work A task function, or a Task, Future or promise.
 * @param options `wait`.
 * @returns What the work returns.
 * @throws {TypeError} If `work` is not a function or awaitable, or `wait` is used without a function.
 * @throws {CancelledError} If the caller is cancelled (the work goes on), unless `wait`.
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
 *
 *   // Awaiting cleanup in a cancelled task:
 *   await timeout(5, async () => {
 *     try {
 *       await sleep(1_000);
 *     } finally {
 *       await shield(() => sleep(10), { wait: true }); // runs to the end
 *     }
 *   }).catch(() => {});
 * });
 * ```
 */
export function shield<T>(
  work: TaskFunction<T> | PromiseLike<T>,
  options?: ShieldOptions,
): Promise<T> {
  checkAwaitable(work, "shield()");
  checkOptions(options, { wait: "boolean" }, "shield()");
  const scope = currentScope();
  if (options?.wait === true) {
    if (typeof work !== "function") {
      throw new TypeError("shield(): { wait: true } needs a function to run");
    }
    return runShielded(work, scope);
  }
  if (typeof work === "function") {
    const nursery = nearestNursery(scope);
    if (nursery === undefined) {
      // Outside run() and any group nothing can cancel the caller.
      return Promise.resolve().then(() => work(new AbortController().signal));
    }
    return nursery.spawn(work, "shield()", true)._wait(scope, false);
  }
  if (work instanceof Future) return work._wait(scope, false);
  return waitPromise(work, scope);
}

async function runShielded<T>(
  work: TaskFunction<T>,
  parent: Scope | undefined,
): Promise<T> {
  const scope = new Scope(parent, parent?.task, "shield()", true);
  try {
    return await storage.run(scope, work, scope.signal);
  } finally {
    scope.close();
  }
}
