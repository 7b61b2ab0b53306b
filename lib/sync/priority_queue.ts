/**
 * `PriorityQueue`: a queue that hands out the smallest item first, on a
 * binary heap. Mirrors `asyncio.PriorityQueue`.
 *
 * @module
 */

import { show } from "../_core/_checks.ts";
import {
  Queue,
  queueMaxsize,
  type QueueOptions,
  type QueueStore,
  setQueueStore,
} from "./queue.ts";

/**
 * Orders two items: negative if `a` comes out first, positive if `b` does,
 * `0` if either may.
 */
export type Comparator<T> = (a: T, b: T) => number;

/** Options for {@linkcode PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * How items are ordered (smallest first); {@linkcode compareItems} by
   * default. It must be a consistent total order over every item put.
   */
  compare?: Comparator<T>;
}

/**
 * The default order of a `PriorityQueue`, Python's `<`: numbers and bigints
 * by value, strings by UTF-16 code units, booleans (`false` first), `Date`s
 * by time, and arrays lexicographically like Python tuples (element by
 * element; a prefix comes first), so `[priority, item]` pairs work as in
 * Python. Other values, or values of different kinds, are not ordered: as
 * in Python, comparing them is a `TypeError` (pass a `compare` option).
 *
 * @param a One item.
 * @param b Another item.
 * @returns Negative, zero or positive, as `a` is smaller, equal or greater.
 * @throws {TypeError} If the two values cannot be ordered.
 *
 * @example
 * ```ts
 * import { compareItems } from "@seed/aio";
 * console.log(compareItems([1, "b"], [1, "a"]) > 0); // true
 * console.log(compareItems([1], [1, "a"]) < 0); // true
 * ```
 */
export function compareItems(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if (
    (ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")
  ) {
    if (Number.isNaN(a) || Number.isNaN(b)) {
      throw new TypeError("PriorityQueue: NaN cannot be ordered");
    }
    return (a as number) < (b as number)
      ? -1
      : (a as number) > (b as number)
      ? 1
      : 0;
  }
  if (
    (ta === "string" && tb === "string") ||
    (ta === "boolean" && tb === "boolean")
  ) {
    return (a as string) < (b as string)
      ? -1
      : (a as string) > (b as string)
      ? 1
      : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const order = compareItems(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  if (a instanceof Date && b instanceof Date) {
    return compareItems(a.getTime(), b.getTime());
  }
  throw new TypeError(
    `PriorityQueue: cannot order ${show(a)} and ${
      show(b)
    }; pass a compare option`,
  );
}

/** A binary min-heap that a throwing comparator leaves unchanged. */
class Heap<T> implements QueueStore<T> {
  #items: T[] = [];
  #compare: Comparator<T>;

  constructor(compare: Comparator<T>) {
    this.#compare = compare;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    // Find the slot first, so that a throwing comparator changes nothing.
    let pos = items.length;
    let levels = 0;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (this.#compare(item, items[parent]) >= 0) break;
      pos = parent;
      levels++;
    }
    let hole = items.length;
    items.push(item);
    for (; levels > 0; levels--) {
      const parent = (hole - 1) >> 1;
      items[hole] = items[parent];
      hole = parent;
    }
    items[hole] = item;
  }

  pop(): T {
    const items = this.#items;
    const top = items[0];
    const last = items.length - 1;
    // Sink the last item from the root within items[0..last), moving the
    // smaller child up into the hole at each level.
    const moving = items[last];
    let hole = 0;
    try {
      for (;;) {
        let child = 2 * hole + 1;
        if (child >= last) break;
        if (
          child + 1 < last && this.#compare(items[child + 1], items[child]) < 0
        ) {
          child++;
        }
        if (this.#compare(items[child], moving) >= 0) break;
        items[hole] = items[child];
        hole = child;
      }
    } catch (error) {
      // The moved items are exactly the ancestors of the hole, each one
      // level up: shift them back down and put the top back.
      while (hole > 0) {
        const parent = (hole - 1) >> 1;
        items[hole] = items[parent];
        hole = parent;
      }
      items[0] = top;
      throw error;
    }
    items[hole] = moving;
    items.length = last;
    return top;
  }

  clear(): void {
    this.#items = [];
  }
}

/**
 * A `Queue` that hands out the smallest item first, by `compare` (default
 * {@linkcode compareItems}: numbers, strings, and arrays compared like
 * Python tuples, so `[priority, data]` entries work). Items that compare
 * equal come out in no particular order; add a sequence number
 * (`[priority, seq, data]`) for first-in first-out among equals. Backed by
 * a binary heap: `put` and `get` are O(log n). If `compare` throws, the
 * call that ran it throws and the queue is unchanged. Everything else
 * (bounds, waiting, fairness, `join`, `shutdown`, iteration) is `Queue`'s.
 *
 * Mirrors `asyncio.PriorityQueue`.
 *
 * @typeParam T The item type.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from "@seed/aio";
 * const jobs = new PriorityQueue<[number, string]>();
 * jobs.putNowait([2, "write"]);
 * jobs.putNowait([1, "read"]);
 * jobs.putNowait([3, "close"]);
 * console.log(jobs.getNowait()[1], jobs.getNowait()[1]); // "read" "write"
 *
 * const byLength = new PriorityQueue<string>({
 *   compare: (a, b) => a.length - b.length,
 * });
 * byLength.putNowait("ccc");
 * byLength.putNowait("a");
 * console.log(byLength.getNowait()); // "a"
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /**
   * Creates a priority queue.
   * @param options `maxsize` (or that number directly; `0`, the default,
   * means unbounded) and `compare`.
   * @throws {TypeError} If `maxsize` is not a number or `compare` is not a function.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   */
  constructor(options?: number | PriorityQueueOptions<T>) {
    queueMaxsize(options, "PriorityQueue()");
    const compare = typeof options === "object" && options !== null
      ? options.compare
      : undefined;
    if (compare !== undefined && typeof compare !== "function") {
      throw new TypeError(
        `PriorityQueue(): compare must be a function, got ${show(compare)}`,
      );
    }
    super(options);
    setQueueStore(this, new Heap<T>(compare ?? compareItems));
  }
}
