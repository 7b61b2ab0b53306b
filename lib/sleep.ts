/**
 * `sleep(ms, value?)` and `checkpoint()`: the basic cancellation points.
 * Mirrors `asyncio.sleep`.
 *
 * @module
 */

import { cancelTimer, insert, now, type Timer } from "./_core/_timers.ts";
import { currentScope, type Scope } from "./_core/_scope.ts";
import { checkDelay } from "./_core/_checks.ts";
import { suspend, Wait } from "./_core/_trap.ts";

/**
 * Waits `ms` milliseconds, then returns `value`. A cancellation point: if the
 * surrounding task or scope is cancelled first, throws `CancelledError` at
 * once and releases its timer. `0` or a negative delay yields to the event
 * loop once (timers and I/O run) and returns.
 *
 * Mirrors `asyncio.sleep(delay, result)`, in milliseconds.
 *
 * @param ms Milliseconds to wait.
 * @param value What to return.
 * @returns `value`, after the delay.
 * @throws {TypeError} If `ms` is not a number, or is `NaN`.
 * @throws {CancelledError} If cancelled while waiting.
 *
 * @example
 * ```ts
 * import { sleep } from "@seed/aio";
 * const answer = await sleep(10, 42);
 * console.log(answer); // 42
 * ```
 */
export function sleep<T = undefined>(ms: number, value?: T): Promise<T> {
  checkDelay(ms, "sleep()");
  const from = now();
  return sleepUntil(from + Math.max(0, ms), value as T, currentScope(), from);
}

/**
 * Yields to the event loop once and throws `CancelledError` if the
 * surrounding task or scope is cancelled: put it in long loops so that they
 * can be cancelled and do not starve other tasks.
 *
 * Mirrors Trio's `checkpoint()` (`await asyncio.sleep(0)`).
 *
 * @returns Once other work had a turn.
 * @throws {CancelledError} If cancelled.
 *
 * @example
 * ```ts
 * import { checkpoint } from "@seed/aio";
 * let total = 0;
 * for (let i = 0; i < 3; i++) {
 *   total += i;
 *   await checkpoint();
 * }
 * console.log(total); // 3
 * ```
 */
export function checkpoint(): Promise<void> {
  const from = now();
  return sleepUntil(from, undefined, currentScope(), from);
}

// One object per sleep: it is the heap's timer and the wait, so a sleep
// allocates no closures beyond its promise's.
class SleepWait<T> extends Wait<T> implements Timer {
  seq = 0;
  index = -1;
  constructor(
    readonly when: number,
    readonly value: T,
    readonly from: number,
  ) {
    super();
  }

  override arm(): void {
    insert(this);
  }

  override disarm(): void {
    if (this.index >= 0) cancelTimer(this);
  }

  callback(): void {
    this.wake(this.value);
  }
}

/** @internal The shared body of sleep, checkpoint and the timeout family. */
export function sleepUntil<T>(
  when: number,
  value: T,
  scope: Scope | undefined,
  from: number = when,
): Promise<T> {
  const wait = new SleepWait(when, value, from);
  return suspend(wait, scope, "sleep", wait);
}
