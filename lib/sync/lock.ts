/**
 * `Lock`: a fair mutual-exclusion lock for tasks. Mirrors `asyncio.Lock`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { cancelledScope, currentScope, type Scope } from "../_core/_scope.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";

/**
 * What `lock()` on a `Lock`, `Condition` or `Semaphore` returns: the
 * acquisition, released once by `release()` or by leaving a `using` /
 * `await using` block (whichever comes first; later calls do nothing).
 */
export interface LockGuard extends Disposable, AsyncDisposable {
  /** Releases what was acquired; only the first call has an effect. */
  release(): void;
}

class Guard implements LockGuard {
  #release: (() => void) | undefined;

  constructor(release: () => void) {
    this.#release = release;
  }

  release(): void {
    const release = this.#release;
    if (release !== undefined) {
      this.#release = undefined;
      release();
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/** @internal Makes the guard `lock()` returns around a release function. */
export function makeGuard(release: () => void): LockGuard {
  return new Guard(release);
}

const ACQUIRED: Promise<true> = Promise.resolve(true);

/**
 * A mutual-exclusion lock for tasks (not threads). Waiters are served
 * strictly first come, first served: `release()` hands the lock directly to
 * the oldest waiter, so a task that calls `acquire()` meanwhile cannot barge
 * ahead of it. Waiting is a cancellation point; a waiter cancelled after the
 * lock was handed to it but before it resumed passes the lock on to the next
 * waiter and throws `CancelledError`, so a wake-up is never lost.
 *
 * There is no owner: any task may release the lock (as in asyncio).
 *
 * Mirrors `asyncio.Lock`; `await using _ = await lock.lock()` is the
 * `async with lock:` of Python.
 *
 * @example
 * ```ts
 * import { Lock, run, sleep, taskGroup } from "@seed/aio";
 * await run(async () => {
 *   const lock = new Lock();
 *   const log: string[] = [];
 *   const worker = async (name: string) => {
 *     await using _ = await lock.lock();
 *     log.push(`${name} in`);
 *     await sleep(1);
 *     log.push(`${name} out`);
 *   };
 *   await taskGroup((tg) => {
 *     tg.createTask(() => worker("a"));
 *     tg.createTask(() => worker("b"));
 *   });
 *   console.log(log); // ["a in", "a out", "b in", "b out"]
 * });
 * ```
 */
export class Lock {
  #locked = false;
  #waiters = new WaitQueue<true>();

  /**
   * Acquires the lock, waiting for it if another task holds it. Always a
   * cancellation point: throws at once if the caller is already cancelled.
   *
   * Mirrors `asyncio.Lock.acquire()`.
   *
   * @returns `true`, once the lock is held.
   * @throws {CancelledError} If cancelled before the lock was acquired.
   *
   * @example
   * ```ts
   * import { Lock } from "@seed/aio";
   * const lock = new Lock();
   * await lock.acquire();
   * try {
   *   console.log(lock.locked()); // true
   * } finally {
   *   lock.release();
   * }
   * ```
   */
  acquire(): Promise<true> {
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (!this.#locked) {
      this.#locked = true;
      return ACQUIRED;
    }
    return this.#wait(currentScope());
  }

  #wait(scope: Scope | undefined): Promise<true> {
    return this.#waiters.park(scope).then((acquired) => {
      // The lock was handed to us; if we were cancelled before resuming,
      // pass it on rather than swallow the wake-up.
      if (scope !== undefined && scope.cancelled) {
        this.release();
        throw scope.deliver();
      }
      return acquired;
    });
  }

  /**
   * Acquires the lock like `acquire()` and returns a guard that releases
   * it, for `using` / `await using`.
   *
   * @returns A guard whose disposal (or `release()`) releases the lock.
   * @throws {CancelledError} If cancelled before the lock was acquired.
   *
   * @example
   * ```ts
   * import { Lock } from "@seed/aio";
   * const lock = new Lock();
   * {
   *   await using _ = await lock.lock();
   *   console.log(lock.locked()); // true
   * }
   * console.log(lock.locked()); // false
   * ```
   */
  lock(): Promise<LockGuard> {
    const scope = currentScope();
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(new Guard(this.#release));
    }
    return this.#wait(scope).then(() => new Guard(this.#release));
  }

  #release = (): void => this.release();

  /**
   * Releases the lock: the oldest waiter, if any, gets it next.
   *
   * Mirrors `asyncio.Lock.release()`.
   *
   * @throws {InvalidStateError} If the lock is not held.
   *
   * @example
   * ```ts
   * import { InvalidStateError, Lock } from "@seed/aio";
   * const lock = new Lock();
   * try {
   *   lock.release();
   * } catch (error) {
   *   console.log(error instanceof InvalidStateError); // true
   * }
   * ```
   */
  release(): void {
    if (!this.#locked) {
      throw new InvalidStateError("Cannot release lock: not held");
    }
    // Ownership passes straight to the oldest waiter: no barging.
    if (!this.#waiters.unpark(true)) this.#locked = false;
  }

  /**
   * Whether the lock is held (including handed to a waiter that has not
   * resumed yet).
   *
   * Mirrors `asyncio.Lock.locked()`.
   *
   * @returns `true` if held.
   *
   * @example
   * ```ts
   * import { Lock } from "@seed/aio";
   * const lock = new Lock();
   * console.log(lock.locked()); // false
   * ```
   */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * How many tasks are waiting to acquire the lock.
   *
   * @returns The number of parked waiters.
   *
   * @example
   * ```ts
   * import { Lock } from "@seed/aio";
   * console.log(new Lock().waiting); // 0
   * ```
   */
  get waiting(): number {
    return this.#waiters.size;
  }
}
