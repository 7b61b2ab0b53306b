/**
 * `Semaphore`: a counter of permits tasks acquire and release. Mirrors
 * `asyncio.Semaphore`.
 *
 * @module
 */

import { cancelledScope, currentScope, type Scope } from "../_core/_scope.ts";
import { show } from "../_core/_checks.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";
import { type LockGuard, makeGuard } from "./lock.ts";

const ACQUIRED: Promise<true> = Promise.resolve(true);

/** @internal Validates a permit count. */
export function checkCount(value: unknown, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${what}: value must be a number, got ${show(value)}`);
  }
  if (value < 0 || !Number.isInteger(value)) {
    throw new RangeError(
      `${what}: value must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}

/**
 * A counter of permits: `acquire()` takes one, waiting while there are none;
 * `release()` gives one back. Waiters are served first come, first served:
 * a released permit goes straight to the oldest waiter, and while a woken
 * waiter has not resumed yet, newcomers queue behind it. Waiting is a
 * cancellation point; a waiter cancelled after a permit was handed to it
 * passes the permit on and throws `CancelledError`.
 *
 * Mirrors `asyncio.Semaphore` (3.13 semantics); `await using _ = await
 * sem.lock()` is the `async with sem:` of Python.
 *
 * @example
 * ```ts
 * import { run, Semaphore, sleep, taskGroup } from "@seed/aio";
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   let active = 0;
 *   let peak = 0;
 *   await taskGroup((tg) => {
 *     for (let i = 0; i < 5; i++) {
 *       tg.createTask(async () => {
 *         await using _ = await sem.lock();
 *         peak = Math.max(peak, ++active);
 *         await sleep(1);
 *         active--;
 *       });
 *     }
 *   });
 *   console.log(peak); // 2
 * });
 * ```
 */
export class Semaphore {
  #value: number;
  #waiters = new WaitQueue<true>();
  // Waiters handed a permit that have not resumed yet; newcomers queue
  // behind them (asyncio 3.13's FIFO rule).
  #inFlight = 0;

  /**
   * Creates a semaphore.
   * @param value The initial number of permits, a non-negative integer; 1 by default.
   * @throws {TypeError} If `value` is not a number.
   * @throws {RangeError} If `value` is negative or not an integer.
   */
  constructor(value = 1) {
    this.#value = checkCount(value, `${new.target.name}()`);
  }

  /**
   * Takes a permit, waiting for one if there is none. Always a
   * cancellation point: throws at once if the caller is already cancelled.
   *
   * Mirrors `asyncio.Semaphore.acquire()`.
   *
   * @returns `true`, once a permit is held.
   * @throws {CancelledError} If cancelled before a permit was acquired.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * const sem = new Semaphore(1);
   * await sem.acquire();
   * console.log(sem.locked()); // true
   * sem.release();
   * ```
   */
  acquire(): Promise<true> {
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (this.#value > 0 && this.#waiters.size === 0 && this.#inFlight === 0) {
      this.#value--;
      return ACQUIRED;
    }
    return this.#wait(currentScope());
  }

  #wait(scope: Scope | undefined): Promise<true> {
    return this.#waiters.park(scope).then((acquired) => {
      this.#inFlight--;
      if (scope !== undefined && scope.cancelled) {
        // Handed a permit, but cancelled before resuming: pass it on.
        this.#value++;
        this.#wake();
        throw scope.deliver();
      }
      // Newcomers that queued behind us may proceed now.
      this.#wake();
      return acquired;
    });
  }

  #wake(): void {
    while (this.#value > 0 && this.#waiters.unpark(true)) {
      this.#value--;
      this.#inFlight++;
    }
  }

  /**
   * Takes a permit like `acquire()` and returns a guard that gives it back,
   * for `using` / `await using`.
   *
   * @returns A guard whose disposal (or `release()`) releases the permit.
   * @throws {CancelledError} If cancelled before a permit was acquired.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * const sem = new Semaphore(1);
   * {
   *   await using _ = await sem.lock();
   *   console.log(sem.value); // 0
   * }
   * console.log(sem.value); // 1
   * ```
   */
  lock(): Promise<LockGuard> {
    return this.acquire().then(() => makeGuard(() => this.release()));
  }

  /**
   * Gives a permit back; the oldest waiter, if any, gets it.
   *
   * Mirrors `asyncio.Semaphore.release()`.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * const sem = new Semaphore(0);
   * sem.release();
   * console.log(sem.value); // 1
   * ```
   */
  release(): void {
    this.#value++;
    this.#wake();
  }

  /**
   * Whether `acquire()` would have to wait: no permit is free, or other
   * tasks are queued ahead.
   *
   * Mirrors `asyncio.Semaphore.locked()`.
   *
   * @returns `true` if an acquire would wait.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * console.log(new Semaphore(0).locked()); // true
   * ```
   */
  locked(): boolean {
    return this.#value === 0 || this.#waiters.size > 0 || this.#inFlight > 0;
  }

  /**
   * How many permits are free (not held, not handed to a woken waiter).
   *
   * @returns The free permits.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * console.log(new Semaphore(3).value); // 3
   * ```
   */
  get value(): number {
    return this.#value;
  }

  /**
   * How many tasks are waiting for a permit.
   *
   * @returns The number of parked waiters.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@seed/aio";
   * console.log(new Semaphore().waiting); // 0
   * ```
   */
  get waiting(): number {
    return this.#waiters.size;
  }
}
