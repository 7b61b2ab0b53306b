/**
 * `moveOnAfter(ms, fn)`: give up quietly when time runs out. Trio's
 * `move_on_after`; asyncio has no direct equivalent.
 *
 * @module
 */

import { now } from "./_core/_timers.ts";
import { checkFunction } from "./_core/_checks.ts";
import { checkDeadline, type TimeoutScope, withDeadline } from "./timeout.ts";

/**
 * Runs `fn`, cancelling it after `ms` milliseconds; returns its value, or
 * `undefined` if the deadline passed first (check `scope.expired` to tell
 * apart a body that returned `undefined`).
 *
 * Mirrors Trio's `move_on_after(seconds)`, in milliseconds.
 *
 * @param ms Milliseconds allowed (`null` or `Infinity`: no limit).
 * @param fn The work; receives the timeout scope.
 * @returns `fn`'s value, or `undefined` on expiry.
 * @throws {TypeError} If `ms` is not a number or `fn` not a function.
 * @throws {CancelledError} If cancelled from outside.
 *
 * @example
 * ```ts
 * import { moveOnAfter, sleep } from "@seed/aio";
 * const value = await moveOnAfter(5, () => sleep(1_000, "late"));
 * console.log(value); // undefined
 * ```
 */
export function moveOnAfter<T>(
  ms: number | null,
  fn: (scope: TimeoutScope) => T | PromiseLike<T>,
): Promise<T | undefined> {
  ms = checkDeadline(ms, "moveOnAfter()");
  checkFunction(fn, "moveOnAfter()");
  return withDeadline(now() + ms, fn, "undefined", "moveOnAfter()");
}
