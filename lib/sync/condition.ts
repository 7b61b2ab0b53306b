/**
 * `Condition`: a condition variable over a `Lock`. Mirrors
 * `asyncio.Condition`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { currentScope, type Scope } from "../_core/_scope.ts";
import { checkFunction, show } from "../_core/_checks.ts";
import { storage } from "../_core/_scope.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";
import { Lock, type LockGuard, makeGuard } from "./lock.ts";

/**
 * A condition variable: tasks holding its lock `wait()` until another task
 * (also holding the lock) calls `notify()`. `wait()` releases the lock while
 * waiting and re-acquires it before returning — and before throwing: even a
 * cancelled wait holds the lock again when `CancelledError` reaches the
 * caller, so `finally { cond.release() }` is always right. Waiters are
 * notified first come, first served; a waiter cancelled after being notified
 * passes the notification on to the next one.
 *
 * Mirrors `asyncio.Condition`; `await using _ = await cond.lock()` is the
 * `async with cond:` of Python.
 *
 * @example
 * ```ts
 * import { Condition, createTask, run } from "@seed/aio";
 * await run(async () => {
 *   const cond = new Condition();
 *   const items: number[] = [];
 *   const consumer = createTask(async () => {
 *     await using _ = await cond.lock();
 *     await cond.waitFor(() => items.length > 0);
 *     return items.shift();
 *   });
 *   {
 *     await using _ = await cond.lock();
 *     items.push(42);
 *     cond.notify();
 *   }
 *   console.log(await consumer); // 42
 * });
 * ```
 */
export class Condition {
  #lock: Lock;
  #waiters = new WaitQueue<void>();

  /**
   * Creates a condition variable.
   * @param lock The lock to use; a new one by default. Share one lock between
   * conditions to guard one piece of state with several conditions.
   * @throws {TypeError} If `lock` is given and is not a `Lock`.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(
        `Condition(): lock must be a Lock, got ${show(lock)}`,
      );
    }
    this.#lock = lock ?? new Lock();
  }

  /**
   * Acquires the underlying lock (a cancellation point).
   *
   * Mirrors `asyncio.Condition.acquire()`.
   *
   * @returns `true`, once the lock is held.
   * @throws {CancelledError} If cancelled before the lock was acquired.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * await cond.acquire();
   * console.log(cond.locked()); // true
   * cond.release();
   * ```
   */
  acquire(): Promise<true> {
    return this.#lock.acquire();
  }

  /**
   * Acquires the underlying lock and returns a guard that releases it, for
   * `using` / `await using`.
   *
   * @returns A guard whose disposal (or `release()`) releases the lock.
   * @throws {CancelledError} If cancelled before the lock was acquired.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * {
   *   await using _ = await cond.lock();
   *   cond.notifyAll();
   * }
   * console.log(cond.locked()); // false
   * ```
   */
  lock(): Promise<LockGuard> {
    return this.#lock.acquire().then(() => makeGuard(() => this.release()));
  }

  /**
   * Releases the underlying lock.
   *
   * Mirrors `asyncio.Condition.release()`.
   *
   * @throws {InvalidStateError} If the lock is not held.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * await cond.acquire();
   * cond.release();
   * console.log(cond.locked()); // false
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Whether the underlying lock is held.
   *
   * Mirrors `asyncio.Condition.locked()`.
   *
   * @returns `true` if held.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * console.log(new Condition().locked()); // false
   * ```
   */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Releases the lock, waits to be notified, then re-acquires the lock. The
   * lock is held again whenever this returns or throws, cancellation
   * included. A cancellation point.
   *
   * Mirrors `asyncio.Condition.wait()`.
   *
   * @returns `true`, once notified and holding the lock again.
   * @throws {InvalidStateError} If the lock is not held.
   * @throws {CancelledError} If cancelled (the lock is held again by then).
   *
   * @example
   * ```ts
   * import { Condition, createTask, run } from "@seed/aio";
   * await run(async () => {
   *   const cond = new Condition();
   *   let ready = false;
   *   const waiter = createTask(async () => {
   *     await cond.acquire();
   *     try {
   *       while (!ready) await cond.wait();
   *       return "ready";
   *     } finally {
   *       cond.release();
   *     }
   *   });
   *   await cond.acquire();
   *   ready = true;
   *   cond.notifyAll();
   *   cond.release();
   *   console.log(await waiter); // "ready"
   * });
   * ```
   */
  wait(): Promise<true> {
    if (!this.#lock.locked()) {
      return Promise.reject(
        new InvalidStateError("Cannot wait on condition: its lock is not held"),
      );
    }
    const scope = currentScope();
    // Already cancelled: throw while still holding the lock, which is what a
    // release-then-reacquire would end with anyway.
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    this.#lock.release();
    return this.#waiters.park(scope).then(
      () => this.#reacquire(scope, true, undefined),
      (error) => this.#reacquire(scope, false, error),
    );
  }

  async #reacquire(
    scope: Scope | undefined,
    notified: boolean,
    error: unknown,
  ): Promise<true> {
    // Re-acquire outside any scope so that no cancellation interrupts it:
    // the caller must hold the lock when this returns or throws.
    await storage.exit(() => this.#lock.acquire());
    if (!notified) throw error;
    if (scope !== undefined && scope.cancelled) {
      // Notified, but cancelled before resuming: hand the notification to
      // another waiter instead of swallowing it.
      this.#waiters.unpark();
      throw scope.deliver();
    }
    return true;
  }

  /**
   * Waits until `predicate()` returns a truthy value, calling it first and
   * after each notification, with the lock held. A cancellation point.
   *
   * Mirrors `asyncio.Condition.wait_for(predicate)`.
   *
   * @param predicate Called with the lock held; its truthy result ends the wait.
   * @returns The predicate's truthy result.
   * @throws {TypeError} If `predicate` is not a function.
   * @throws {InvalidStateError} If the lock is not held and the predicate is false.
   * @throws {CancelledError} If cancelled (the lock is held again by then).
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * await cond.acquire();
   * console.log(await cond.waitFor(() => "already true")); // "already true"
   * cond.release();
   * ```
   */
  async waitFor<T>(predicate: () => T): Promise<T> {
    checkFunction(predicate, "Condition.waitFor()");
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters, oldest first; each returns from `wait()` once
   * it gets the lock back (after the caller releases it).
   *
   * Mirrors `asyncio.Condition.notify(n)`.
   *
   * @param n How many waiters to wake: a non-negative integer or `Infinity`; 1 by default.
   * @throws {InvalidStateError} If the lock is not held.
   * @throws {TypeError} If `n` is not a number.
   * @throws {RangeError} If `n` is negative or not an integer.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * await cond.acquire();
   * cond.notify(2); // nobody waits: nothing happens
   * cond.release();
   * ```
   */
  notify(n = 1): void {
    if (typeof n !== "number" || Number.isNaN(n)) {
      throw new TypeError(
        `Condition.notify(): n must be a number, got ${show(n)}`,
      );
    }
    if (n < 0 || (!Number.isInteger(n) && n !== Infinity)) {
      throw new RangeError(
        `Condition.notify(): n must be a non-negative integer, got ${n}`,
      );
    }
    if (!this.#lock.locked()) {
      throw new InvalidStateError(
        "Cannot notify on condition: its lock is not held",
      );
    }
    for (let i = 0; i < n && this.#waiters.unpark(); i++);
  }

  /**
   * Wakes every waiter.
   *
   * Mirrors `asyncio.Condition.notify_all()`.
   *
   * @throws {InvalidStateError} If the lock is not held.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * const cond = new Condition();
   * await cond.acquire();
   * cond.notifyAll();
   * cond.release();
   * ```
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /**
   * How many tasks are waiting to be notified.
   *
   * @returns The number of parked waiters.
   *
   * @example
   * ```ts
   * import { Condition } from "@seed/aio";
   * console.log(new Condition().waiting); // 0
   * ```
   */
  get waiting(): number {
    return this.#waiters.size;
  }
}
