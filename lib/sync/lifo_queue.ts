/**
 * `LifoQueue`: a last-in first-out queue (a stack) for tasks. Mirrors
 * `asyncio.LifoQueue`.
 *
 * @module
 */

import {
  Queue,
  type QueueOptions,
  type QueueStore,
  setQueueStore,
} from "./queue.ts";

class Stack<T> implements QueueStore<T> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  pop(): T {
    return this.#items.pop() as T;
  }

  clear(): void {
    this.#items = [];
  }
}

/**
 * A `Queue` that hands out the most recently put item first. Everything
 * else (bounds, waiting, fairness, `join`, `shutdown`, iteration) is
 * `Queue`'s.
 *
 * Mirrors `asyncio.LifoQueue`.
 *
 * @typeParam T The item type.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@seed/aio";
 * const stack = new LifoQueue<number>();
 * for (const i of [1, 3, 2]) stack.putNowait(i);
 * console.log(stack.getNowait(), stack.getNowait(), stack.getNowait()); // 2 3 1
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /**
   * Creates a LIFO queue.
   * @param options `maxsize` (or that number directly): `0`, the default,
   * means unbounded.
   * @throws {TypeError} If `maxsize` is not a number.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   */
  constructor(options?: number | QueueOptions) {
    super(options);
    setQueueStore(this, new Stack<T>());
  }
}
