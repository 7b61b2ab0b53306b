/**
 * `Barrier`: tasks wait until a set number of them arrive. Mirrors
 * `asyncio.Barrier`.
 *
 * @module
 */

import { currentScope } from "../_core/_scope.ts";
import { show } from "../_core/_checks.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";

/**
 * Thrown by `Barrier.wait()` when the barrier is aborted or reset while
 * waiting, or was aborted before; mirrors `asyncio.BrokenBarrierError`.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from "@seed/aio";
 * const barrier = new Barrier(2);
 * await barrier.abort();
 * try {
 *   await barrier.wait();
 * } catch (error) {
 *   console.log(error instanceof BrokenBarrierError); // true
 * }
 * ```
 */
export class BrokenBarrierError extends Error {
  /**
   * Creates a broken-barrier error.
   * @param message What broke the barrier.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Barrier is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * A barrier for `parties` tasks: each `wait()` blocks until `parties` tasks
 * are waiting, then all of them return at once, and the barrier is ready for
 * the next round. Each gets a distinct arrival index, `0` for the first to
 * arrive up to `parties - 1` for the one that released the others. Waiting
 * is a cancellation point; a cancelled waiter simply leaves (the barrier
 * then needs one more arrival), it does not break the barrier.
 *
 * Mirrors `asyncio.Barrier`.
 *
 * @example
 * ```ts
 * import { Barrier, gather, run } from "@seed/aio";
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   const indices = await gather(
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *   );
 *   console.log(indices); // [0, 1, 2]
 * });
 * ```
 */
export class Barrier {
  #parties: number;
  #waiters = new WaitQueue<number>();
  #broken = false;

  /**
   * Creates a barrier.
   * @param parties How many tasks must arrive to release them: a positive integer.
   * @throws {TypeError} If `parties` is not a number.
   * @throws {RangeError} If `parties` is not a positive integer.
   */
  constructor(parties: number) {
    if (typeof parties !== "number" || Number.isNaN(parties)) {
      throw new TypeError(
        `Barrier(): parties must be a number, got ${show(parties)}`,
      );
    }
    if (parties < 1 || !Number.isInteger(parties)) {
      throw new RangeError(
        `Barrier(): parties must be a positive integer, got ${parties}`,
      );
    }
    this.#parties = parties;
  }

  /**
   * Waits until `parties` tasks are waiting, then returns this task's
   * arrival index. Always a cancellation point.
   *
   * Mirrors `asyncio.Barrier.wait()`.
   *
   * @returns The arrival index, from `0` to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is broken, or is aborted or reset while waiting.
   * @throws {CancelledError} If cancelled while waiting.
   *
   * @example
   * ```ts
   * import { Barrier } from "@seed/aio";
   * const barrier = new Barrier(1);
   * console.log(await barrier.wait()); // 0
   * ```
   */
  wait(): Promise<number> {
    const scope = currentScope();
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    if (this.#broken) {
      return Promise.reject(new BrokenBarrierError("Barrier aborted"));
    }
    if (this.#waiters.size + 1 < this.#parties) {
      return this.#waiters.park(scope);
    }
    // The last arrival releases everyone, in arrival order.
    let index = 0;
    while (this.#waiters.unpark(index)) index++;
    return Promise.resolve(index);
  }

  /**
   * Returns the barrier to its empty state: tasks waiting on it get
   * `BrokenBarrierError`, and a broken barrier becomes usable again.
   * The work is done when the call returns; the promise is for symmetry
   * with asyncio's `await barrier.reset()`.
   *
   * Mirrors `asyncio.Barrier.reset()`.
   *
   * @returns A resolved promise.
   *
   * @example
   * ```ts
   * import { Barrier } from "@seed/aio";
   * const barrier = new Barrier(2);
   * await barrier.abort();
   * await barrier.reset();
   * console.log(barrier.broken); // false
   * ```
   */
  reset(): Promise<void> {
    this.#broken = false;
    this.#waiters.rejectAll(new BrokenBarrierError("Barrier was reset"));
    return Promise.resolve();
  }

  /**
   * Breaks the barrier: waiting tasks, and every later `wait()` until a
   * `reset()`, get `BrokenBarrierError`. Done when the call returns.
   *
   * Mirrors `asyncio.Barrier.abort()`.
   *
   * @returns A resolved promise.
   *
   * @example
   * ```ts
   * import { Barrier } from "@seed/aio";
   * const barrier = new Barrier(2);
   * await barrier.abort();
   * console.log(barrier.broken); // true
   * ```
   */
  abort(): Promise<void> {
    this.#broken = true;
    this.#waiters.rejectAll(new BrokenBarrierError("Barrier aborted"));
    return Promise.resolve();
  }

  /** How many tasks must arrive to release the barrier. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks are waiting now. Mirrors `Barrier.n_waiting`. */
  get nWaiting(): number {
    return this.#waiters.size;
  }

  /** Whether the barrier is broken (aborted and not reset). */
  get broken(): boolean {
    return this.#broken;
  }
}
