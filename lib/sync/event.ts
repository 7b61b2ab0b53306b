/**
 * `Event`: a flag tasks can wait for. Mirrors `asyncio.Event`.
 *
 * @module
 */

import { cancelledScope, currentScope } from "../_core/_scope.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";

const SET: Promise<true> = Promise.resolve(true);

/**
 * A flag that tasks can wait for: `wait()` returns once `set()` was called,
 * at once if it already was. `clear()` resets it. Waiting is a cancellation
 * point.
 *
 * Note: importing it (`import { Event } from "@seed/aio"`) shadows the
 * global DOM `Event` class in that module; import it under another name
 * (`import { Event as AioEvent }`) if the module also needs the DOM one.
 *
 * Mirrors `asyncio.Event`.
 *
 * @example
 * ```ts
 * import { createTask, Event, run } from "@seed/aio";
 * await run(async () => {
 *   const ready = new Event();
 *   const waiter = createTask(async () => {
 *     await ready.wait();
 *     return "released";
 *   });
 *   ready.set();
 *   console.log(await waiter); // "released"
 * });
 * ```
 */
export class Event {
  #flag = false;
  #waiters = new WaitQueue<true>();

  /**
   * Waits until the flag is set; returns at once if it is. Always a
   * cancellation point: throws at once if the caller is already cancelled.
   *
   * Mirrors `asyncio.Event.wait()`.
   *
   * @returns `true`, once the flag is set.
   * @throws {CancelledError} If cancelled while waiting.
   *
   * @example
   * ```ts
   * import { Event } from "@seed/aio";
   * const event = new Event();
   * event.set();
   * console.log(await event.wait()); // true
   * ```
   */
  wait(): Promise<true> {
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (this.#flag) return SET;
    return this.#waiters.park(currentScope());
  }

  /**
   * Sets the flag and wakes every waiter (in the order they started
   * waiting). Setting a set event does nothing.
   *
   * Mirrors `asyncio.Event.set()`.
   *
   * @example
   * ```ts
   * import { Event } from "@seed/aio";
   * const event = new Event();
   * event.set();
   * console.log(event.isSet()); // true
   * ```
   */
  set(): void {
    if (this.#flag) return;
    this.#flag = true;
    this.#waiters.unparkAll(true);
  }

  /**
   * Clears the flag: later `wait()` calls block until the next `set()`.
   * Waiters already woken by a `set()` stay woken.
   *
   * Mirrors `asyncio.Event.clear()`.
   *
   * @example
   * ```ts
   * import { Event } from "@seed/aio";
   * const event = new Event();
   * event.set();
   * event.clear();
   * console.log(event.isSet()); // false
   * ```
   */
  clear(): void {
    this.#flag = false;
  }

  /**
   * Whether the flag is set.
   *
   * Mirrors `asyncio.Event.is_set()`.
   *
   * @returns `true` if set.
   *
   * @example
   * ```ts
   * import { Event } from "@seed/aio";
   * console.log(new Event().isSet()); // false
   * ```
   */
  isSet(): boolean {
    return this.#flag;
  }

  /**
   * How many tasks are waiting for the flag.
   *
   * @returns The number of parked waiters.
   *
   * @example
   * ```ts
   * import { Event } from "@seed/aio";
   * console.log(new Event().waiting); // 0
   * ```
   */
  get waiting(): number {
    return this.#waiters.size;
  }
}
