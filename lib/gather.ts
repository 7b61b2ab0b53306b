/**
 * `gather(...items, { returnExceptions })`: run or await several things
 * concurrently and collect their results in order. Structured, unlike
 * asyncio's: on the first error the children it started are cancelled and
 * awaited before the error is thrown. Mirrors `asyncio.gather`.
 *
 * @module
 */

import { CancelledError, TaskGroupError } from "./errors.ts";
import { currentScope } from "./_core/_scope.ts";
import {
  type Awaitable,
  awaitIn,
  checkAwaitable,
  isThenable,
} from "./_core/_awaitables.ts";
import { taskGroup } from "./task_group.ts";

/** Options for {@linkcode gather}, passed as the last argument. */
export interface GatherOptions {
  /** Put errors in the results instead of throwing the first one. */
  returnExceptions?: boolean;
}

/** One argument of `gather`: a task function, or a promise, Task or Future. */
export type GatherItem<T> = Awaitable<T>;

// Carries a child's own cancellation (not gather's) out of the task group,
// where a cancelled child is otherwise not an error.
class ChildCancelled extends Error {
  constructor(readonly error: CancelledError) {
    super("child cancelled");
  }
}

/**
 * Runs functions as child tasks and awaits promises, Tasks and Futures, all
 * concurrently; returns their results in argument order. Without
 * `returnExceptions`, the first error cancels the children gather started,
 * waits for them, then is thrown. With it, errors (and cancellations of
 * individual items) take their place in the results. Cancelling the caller
 * cancels every child, including Tasks and Futures passed in.
 *
 * Mirrors `asyncio.gather(*aws, return_exceptions=False)`.
 *
 * @param items Functions, promises, Tasks or Futures; an options object may come last.
 * @returns The results, in order.
 * @throws {TypeError} If an item is not a function or awaitable.
 * @throws {unknown} The first error, without `returnExceptions`.
 *
 * @example
 * ```ts
 * import { gather, sleep } from "@seed/aio";
 * const [a, b] = await gather(() => sleep(10, "a"), sleep(5, "b"));
 * console.log(a, b); // "a" "b"
 * const results = await gather(
 *   () => Promise.reject(new Error("bad")),
 *   () => sleep(5, "ok"),
 *   { returnExceptions: true },
 * );
 * console.log(results[0] instanceof Error, results[1]); // true "ok"
 * ```
 */
export function gather<T extends unknown[]>(
  ...items: { [K in keyof T]: GatherItem<T[K]> }
): Promise<T>;
/**
 * `gather` with options as the last argument.
 *
 * @param args The items, then `{ returnExceptions }`.
 * @returns The results (or errors, with `returnExceptions`), in order.
 */
export function gather(
  ...args: [...GatherItem<unknown>[], GatherOptions]
): Promise<unknown[]>;
export async function gather(...args: unknown[]): Promise<unknown[]> {
  let options: GatherOptions | undefined;
  const last = args[args.length - 1];
  if (
    args.length > 0 && last !== null && typeof last === "object" &&
    !isThenable(last)
  ) {
    options = args.pop() as GatherOptions;
  }
  args.forEach((item, i) => checkAwaitable(item, `gather() item ${i}`));
  const items = args as Awaitable<unknown>[];
  const returnExceptions = options?.returnExceptions === true;
  const results: unknown[] = new Array(items.length);
  try {
    await taskGroup({ name: "gather()" }, (tg) => {
      items.forEach((item, i) => {
        tg.createTask(async (signal) => {
          try {
            results[i] = typeof item === "function"
              ? await item(signal)
              : await awaitIn(item, currentScope());
          } catch (error) {
            const gatherCancelled = currentScope()?.cancelled === true;
            if (returnExceptions && !gatherCancelled) {
              results[i] = error;
            } else if (error instanceof CancelledError && !gatherCancelled) {
              throw new ChildCancelled(error);
            } else {
              throw error;
            }
          }
        }, { name: `gather()[${i}]` });
      });
    });
  } catch (error) {
    if (error instanceof TaskGroupError) {
      const first = error.errors[0];
      throw first instanceof ChildCancelled ? first.error : first;
    }
    throw error;
  }
  return results;
}
