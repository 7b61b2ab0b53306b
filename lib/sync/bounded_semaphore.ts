/**
 * `BoundedSemaphore`: a semaphore that refuses to be released more times
 * than it was acquired. Mirrors `asyncio.BoundedSemaphore`.
 *
 * @module
 */

import { Semaphore } from "./semaphore.ts";

/**
 * A `Semaphore` that throws if released while all its permits are already
 * free: releasing more than was acquired is a bug this catches.
 *
 * Mirrors `asyncio.BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "@seed/aio";
 * const sem = new BoundedSemaphore(1);
 * await sem.acquire();
 * sem.release();
 * try {
 *   sem.release();
 * } catch (error) {
 *   console.log(error instanceof RangeError); // true
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  #bound: number;

  /**
   * Creates a bounded semaphore.
   * @param value The initial and maximum number of permits, a non-negative integer; 1 by default.
   * @throws {TypeError} If `value` is not a number.
   * @throws {RangeError} If `value` is negative or not an integer.
   */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /** The number of permits, which `value` never exceeds. */
  get bound(): number {
    return this.#bound;
  }

  /**
   * Gives a permit back; the oldest waiter, if any, gets it.
   *
   * Mirrors `asyncio.BoundedSemaphore.release()`.
   *
   * @throws {RangeError} If every permit is already free.
   *
   * @example
   * ```ts
   * import { BoundedSemaphore } from "@seed/aio";
   * const sem = new BoundedSemaphore(2);
   * await sem.acquire();
   * sem.release();
   * console.log(sem.value); // 2
   * ```
   */
  override release(): void {
    if (this.value >= this.#bound) {
      throw new RangeError(
        `Cannot release BoundedSemaphore: released more times than acquired (bound ${this.#bound})`,
      );
    }
    super.release();
  }
}
