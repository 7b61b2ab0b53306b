/**
 * `timeout(ms, fn)` and `timeoutAt(deadline, fn)`: run `fn` in a scope that
 * is cancelled when the deadline passes, then throw `TimeoutError`. Sugar
 * over the cancellation scope, like Trio's `fail_after`. Mirrors
 * `asyncio.timeout` and `asyncio.timeout_at`.
 *
 * @module
 */

import { InvalidStateError, isCancelled, TimeoutError } from "./errors.ts";
import {
  cancelTimer,
  isVirtualClock,
  now,
  schedule,
  type Timer,
} from "./_core/_timers.ts";
import { currentScope, Scope, storage } from "./_core/_scope.ts";
import { checkDelay, checkFunction } from "./_core/_checks.ts";
import { debugRun, frameLocation, userFrames } from "./_core/_debug.ts";
import type { Task } from "./task.ts";

/** The scope a timed function runs in: its deadline can be read and moved. */
export interface TimeoutScope {
  /** Aborted when the deadline passes or the surrounding work is cancelled. */
  readonly signal: AbortSignal;
  /** The deadline on `getRunningLoop().time()`'s scale; `Infinity` for none. */
  readonly deadline: number;
  /** Whether the deadline passed and cancelled the scope. */
  readonly expired: boolean;
  /**
   * Moves the deadline (absolute, like `asyncio.Timeout.reschedule`);
   * `null` or `Infinity` removes it, a past one expires at once.
   */
  reschedule(deadline: number | null): void;
}

/** @internal A deadline attached to a scope. */
class DeadlineScope implements TimeoutScope {
  readonly #scope: Scope;
  #timer: Timer | undefined;
  #deadline = Infinity;
  #expired = false;

  constructor(scope: Scope, deadline: number) {
    this.#scope = scope;
    this.reschedule(deadline);
  }

  get signal(): AbortSignal {
    return this.#scope.signal;
  }

  get deadline(): number {
    return this.#deadline;
  }

  get expired(): boolean {
    return this.#expired;
  }

  reschedule(deadline: number | null): void {
    deadline = checkDeadline(deadline, "reschedule()");
    if (this.#scope.closed) {
      throw new InvalidStateError(
        "Cannot reschedule: the timeout scope was left",
      );
    }
    if (this.#expired) {
      throw new InvalidStateError(
        "Cannot reschedule: the timeout has already expired",
      );
    }
    this.#deadline = deadline;
    this.#scope.deadline = deadline;
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    if (deadline === Infinity) return;
    if (deadline <= now()) this.#expire();
    else this.#timer = schedule(deadline, () => this.#expire());
  }

  #expire(): void {
    this.#timer = undefined;
    this.#expired = true;
    this.#scope.cancel("deadline exceeded");
  }

  dispose(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * @internal A deadline or duration: a number, or `null`/`Infinity` for none
 * (asyncio's `None`); `undefined` is a forgotten argument, a TypeError.
 */
export function checkDeadline(ms: unknown, what: string): number {
  if (ms === null) return Infinity;
  return checkDelay(ms, what);
}

/** @internal The message of a TimeoutError, saying so when time was virtual. */
export function timeoutMessage(
  what: string,
  detail = "deadline exceeded",
): string {
  return isVirtualClock()
    ? `${what}: ${detail} (on virtual time: the clock jumped because every task looked blocked; real I/O under withVirtualTime needs autojumpThresholdMs > 0)`
    : `${what}: ${detail}`;
}

/**
 * @internal The earliest deadline of the timeouts around `scope` (up to the
 * nearest shield), on aio's clock; `Infinity` for none. Work sent elsewhere
 * (a remote executor) carries it along.
 */
export function currentDeadline(
  scope: Scope | undefined = currentScope(),
): number {
  let earliest = Infinity;
  for (let s = scope; s !== undefined; s = s.parent) {
    if (s.deadline < earliest) earliest = s.deadline;
    if (s.shielded) break;
  }
  return earliest;
}

/** @internal Runs `fn` under a deadline; on expiry throws or returns `undefined`. */
export async function withDeadline<T>(
  deadline: number,
  fn: (scope: TimeoutScope) => T | PromiseLike<T>,
  onExpiry: "throw" | "undefined",
  what: string,
): Promise<T | undefined> {
  const parent = currentScope();
  const scope = new Scope(parent, parent?.task, what);
  const timeoutScope = new DeadlineScope(scope, deadline);
  // Debug mode names the line that started the timed work if it runs late.
  const site = debugRun(parent) === undefined ? undefined : new Error().stack;
  let value: T;
  try {
    value = await storage.run(scope, fn, timeoutScope);
  } catch (error) {
    // Only the scope whose own deadline passed turns the cancellation into
    // a timeout; a cancellation from further out stays a CancelledError. A
    // non-cancellation error wins over the timeout (asyncio 3.12).
    if (timeoutScope.expired && isCancelled(error) && !scope.outerCancelled()) {
      if (onExpiry === "undefined") return undefined;
      throw new TimeoutError(timeoutMessage(what), { cause: error });
    }
    throw error;
  } finally {
    timeoutScope.dispose();
    scope.close();
  }
  // A late result is not a result: the body awaited something aio cannot
  // interrupt (a plain promise) and came back after the deadline.
  if (timeoutScope.expired && !scope.outerCancelled()) {
    debugRun(parent)?.late(
      parent?.task as Task<unknown> | undefined,
      what,
      frameLocation(userFrames(site, 1)[0]),
    );
    if (onExpiry === "undefined") return undefined;
    throw new TimeoutError(
      `${timeoutMessage(what)}; the body returned after the deadline`,
      { cause: scope.error },
    );
  }
  return value;
}

/**
 * Runs `fn` and cancels it if it takes longer than `ms` milliseconds, then
 * throws `TimeoutError` once it has unwound. `fn` gets a {@linkcode TimeoutScope}
 * (`signal`, `deadline`, `expired`, `reschedule`). A cancellation from outside
 * stays a `CancelledError`. `0` or a negative `ms` expires at once.
 *
 * Mirrors `async with asyncio.timeout(delay):`, in milliseconds.
 *
 * @param ms Milliseconds allowed (`null` or `Infinity` for no limit).
 * @param fn The work; receives the timeout scope.
 * @returns What `fn` returned.
 * @throws {TimeoutError} If the deadline passed (its `cause` is the CancelledError).
 * @throws {TypeError} If `ms` is not a number or `fn` not a function.
 *
 * @example
 * ```ts
 * import { sleep, timeout, TimeoutError } from "@seed/aio";
 * console.log(await timeout(1_000, () => sleep(5, "in time"))); // "in time"
 * try {
 *   await timeout(5, () => sleep(1_000));
 * } catch (error) {
 *   console.log(error instanceof TimeoutError); // true
 * }
 * ```
 */
export function timeout<T>(
  ms: number | null,
  fn: (scope: TimeoutScope) => T | PromiseLike<T>,
): Promise<T> {
  ms = checkDeadline(ms, "timeout()");
  checkFunction(fn, "timeout()");
  return withDeadline(now() + ms, fn, "throw", "timeout()") as Promise<T>;
}

/**
 * Like {@linkcode timeout} with an absolute deadline on the loop's clock
 * (`getRunningLoop().time()`).
 *
 * Mirrors `asyncio.timeout_at(when)`.
 *
 * @param deadline When to give up, in ms on the loop's clock (`null`: never).
 * @param fn The work; receives the timeout scope.
 * @returns What `fn` returned.
 * @throws {TimeoutError} If the deadline passed.
 * @throws {TypeError} If `deadline` is not a number or `fn` not a function.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt } from "@seed/aio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const value = await timeoutAt(loop.time() + 1_000, async (scope) => {
 *     scope.reschedule(scope.deadline + 1_000); // more time
 *     return await sleep(5, "ok");
 *   });
 *   console.log(value); // "ok"
 * });
 * ```
 */
export function timeoutAt<T>(
  deadline: number | null,
  fn: (scope: TimeoutScope) => T | PromiseLike<T>,
): Promise<T> {
  deadline = checkDeadline(deadline, "timeoutAt()");
  checkFunction(fn, "timeoutAt()");
  return withDeadline(deadline, fn, "throw", "timeoutAt()") as Promise<T>;
}
