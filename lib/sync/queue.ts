/**
 * `Queue`: a first-in first-out queue for producer and consumer tasks, with
 * `join`/`taskDone` and `shutdown`. Mirrors `asyncio.Queue` (Python 3.13).
 *
 * @module
 */

import { cancelledScope, currentScope, type Scope } from "../_core/_scope.ts";
import { show } from "../_core/_checks.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";

/**
 * Thrown by `getNowait()` when the queue has no item to give; mirrors
 * `asyncio.QueueEmpty`.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from "@seed/aio";
 * try {
 *   new Queue().getNowait();
 * } catch (error) {
 *   console.log(error instanceof QueueEmpty); // true
 * }
 * ```
 */
export class QueueEmpty extends Error {
  /**
   * Creates a queue-empty error.
   * @param message What was empty.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Queue is empty", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueEmpty";
  }
}

/**
 * Thrown by `putNowait()` when a bounded queue has no room; mirrors
 * `asyncio.QueueFull`.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from "@seed/aio";
 * const queue = new Queue<number>(1);
 * queue.putNowait(1);
 * try {
 *   queue.putNowait(2);
 * } catch (error) {
 *   console.log(error instanceof QueueFull); // true
 * }
 * ```
 */
export class QueueFull extends Error {
  /**
   * Creates a queue-full error.
   * @param message What was full.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueFull";
  }
}

/**
 * Thrown by `put`/`putNowait` on a queue that was shut down, and by
 * `get`/`getNowait` once it is also empty (at once after
 * `shutdown(true)`); mirrors `asyncio.QueueShutDown`.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from "@seed/aio";
 * const queue = new Queue<number>();
 * queue.shutdown();
 * try {
 *   queue.putNowait(1);
 * } catch (error) {
 *   console.log(error instanceof QueueShutDown); // true
 * }
 * ```
 */
export class QueueShutDown extends Error {
  /**
   * Creates a queue-shut-down error.
   * @param message What was refused.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Queue is shut down", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueShutDown";
  }
}

/** Options for {@linkcode Queue}, `PriorityQueue` and `LifoQueue`. */
export interface QueueOptions {
  /**
   * The most items the queue holds before `put` waits (and `putNowait`
   * throws): a non-negative integer; `0` (the default) or `Infinity` means
   * unbounded.
   */
  maxsize?: number;
}

/** @internal How a queue stores its items: the one thing subclasses change. */
export interface QueueStore<T> {
  readonly size: number;
  push(item: T): void;
  /** Removes and returns the next item; on a throw, nothing changed. */
  pop(): T;
  clear(): void;
}

/** A ring buffer: O(1) push and shift without Array#shift's copying. */
class Fifo<T> implements QueueStore<T> {
  #buffer: (T | undefined)[] = new Array(8);
  #mask = 7;
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size > this.#mask) this.#resize(this.#buffer.length * 2);
    this.#buffer[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  pop(): T {
    const item = this.#buffer[this.#head] as T;
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    // Give memory back after a burst: halve when a quarter full.
    if (--this.#size < this.#mask >> 2 && this.#mask >= 1023) {
      this.#resize(this.#buffer.length >> 1);
    }
    return item;
  }

  clear(): void {
    this.#buffer = new Array(8);
    this.#mask = 7;
    this.#head = this.#size = 0;
  }

  #resize(length: number): void {
    const old = this.#buffer;
    const buffer: (T | undefined)[] = new Array(length);
    for (let i = 0; i < this.#size; i++) {
      buffer[i] = old[(this.#head + i) & this.#mask];
    }
    this.#buffer = buffer;
    this.#mask = buffer.length - 1;
    this.#head = 0;
  }
}

const PUT: Promise<void> = Promise.resolve();

let installStore: <T>(queue: Queue<T>, store: QueueStore<T>) => void;

/** @internal Gives a queue subclass its own store (called in its constructor). */
export function setQueueStore<T>(queue: Queue<T>, store: QueueStore<T>): void {
  installStore(queue, store);
}

/** @internal Parses the `maxsize` / options argument of the queue constructors. */
export function queueMaxsize(options: unknown, what: string): number {
  let maxsize: unknown = options;
  if (options === undefined) return 0;
  if (options !== null && typeof options === "object") {
    maxsize = (options as QueueOptions).maxsize ?? 0;
  }
  if (typeof maxsize !== "number" || Number.isNaN(maxsize)) {
    throw new TypeError(
      `${what}: maxsize must be a number, got ${show(maxsize)}`,
    );
  }
  if (maxsize < 0 || (!Number.isInteger(maxsize) && maxsize !== Infinity)) {
    throw new RangeError(
      `${what}: maxsize must be a non-negative integer (0 means unbounded), got ${maxsize}`,
    );
  }
  return maxsize;
}

/**
 * A first-in first-out queue for tasks. `put` waits while a bounded queue is
 * full, `get` waits while it is empty; both are cancellation points (they
 * throw at once if the caller is already cancelled, even when they would
 * not wait), and `putNowait`/`getNowait` never wait.
 *
 * Waiters are served first come, first served, and a task that did not
 * wait never takes an item (or a free slot) promised to a woken waiter. A
 * waiter cancelled after being woken but before it resumed throws
 * `CancelledError` and leaves its item (or slot) to the next waiter: an item
 * is never lost or handed out twice.
 *
 * Every `put` counts an unfinished task; `taskDone()` marks one finished and
 * `join()` waits until none is left. `shutdown()` stops the queue (Python
 * 3.13 semantics), and `for await (const item of queue)` takes items until
 * the queue is shut down and empty; iterating does not call `taskDone()`.
 *
 * Mirrors `asyncio.Queue`.
 *
 * @typeParam T The item type.
 *
 * @example
 * ```ts
 * import { Queue, run, taskGroup } from "@seed/aio";
 * await run(async () => {
 *   const queue = new Queue<number>({ maxsize: 2 });
 *   const seen: number[] = [];
 *   await taskGroup((tg) => {
 *     tg.createTask(async () => {
 *       for (let i = 0; i < 5; i++) await queue.put(i);
 *       queue.shutdown();
 *     });
 *     tg.createTask(async () => {
 *       for await (const item of queue) seen.push(item);
 *     });
 *   });
 *   console.log(seen); // [0, 1, 2, 3, 4]
 * });
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  #store: QueueStore<T> = new Fifo<T>();
  #maxsize: number;
  #getters = new WaitQueue<void>();
  #putters = new WaitQueue<void>();
  #joiners = new WaitQueue<void>();
  // Woken getters that have not resumed yet: each is promised one item.
  #gettersInFlight = 0;
  // Woken putters that have not resumed yet: each is promised one slot.
  #puttersInFlight = 0;
  #unfinished = 0;
  #shutdown = false;

  static {
    installStore = (queue, store) => {
      queue.#store = store;
    };
  }

  /**
   * Creates a queue.
   * @param options `maxsize` (or that number directly): `0`, the default,
   * means unbounded.
   * @throws {TypeError} If `maxsize` is not a number.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   */
  constructor(options?: number | QueueOptions) {
    this.#maxsize = queueMaxsize(options, `${new.target.name}()`);
  }

  /** The most items the queue holds; `0` or `Infinity` means unbounded. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * How many items are in the queue (including any promised to a woken
   * getter that has not resumed yet).
   *
   * Mirrors `asyncio.Queue.qsize()`.
   *
   * @returns The number of items.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<string>();
   * queue.putNowait("a");
   * console.log(queue.qsize()); // 1
   * ```
   */
  qsize(): number {
    return this.#store.size;
  }

  /**
   * Whether the queue holds no items.
   *
   * Mirrors `asyncio.Queue.empty()`.
   *
   * @returns `true` if empty.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * console.log(new Queue().empty()); // true
   * ```
   */
  empty(): boolean {
    return this.#store.size === 0;
  }

  /**
   * Whether a bounded queue holds `maxsize` items (never for an unbounded
   * one).
   *
   * Mirrors `asyncio.Queue.full()`.
   *
   * @returns `true` if full.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * console.log(queue.full()); // true
   * ```
   */
  full(): boolean {
    return this.#maxsize > 0 && this.#store.size >= this.#maxsize;
  }

  /** Slots a new putter may use: not taken, not promised to a woken putter. */
  #freeSlots(): number {
    return this.#maxsize > 0
      ? this.#maxsize - this.#store.size - this.#puttersInFlight
      : Infinity;
  }

  /**
   * Puts an item, waiting while a bounded queue is full. Always a
   * cancellation point.
   *
   * Mirrors `asyncio.Queue.put(item)`.
   *
   * @param item The item.
   * @returns Once the item is in the queue.
   * @throws {QueueShutDown} If the queue is shut down (also while waiting).
   * @throws {CancelledError} If cancelled before the item was put (it was not).
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<string>();
   * await queue.put("job");
   * console.log(queue.qsize()); // 1
   * ```
   */
  put(item: T): Promise<void> {
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (this.#shutdown) return Promise.reject(new QueueShutDown());
    if (this.#freeSlots() > 0 && this.#putters.size === 0) {
      try {
        this.#push(item);
      } catch (error) {
        return Promise.reject(error);
      }
      return PUT;
    }
    return this.#waitToPut(item, currentScope());
  }

  #waitToPut(item: T, scope: Scope | undefined): Promise<void> {
    return this.#putters.park(scope).then(() => {
      // A slot was kept for us since we were woken.
      this.#puttersInFlight--;
      if (this.#shutdown) throw new QueueShutDown();
      if (scope !== undefined && scope.cancelled) {
        this.#wakePutters();
        throw scope.deliver();
      }
      try {
        this.#push(item);
      } catch (error) {
        this.#wakePutters();
        throw error;
      }
    });
  }

  /**
   * Puts an item at once.
   *
   * Mirrors `asyncio.Queue.put_nowait(item)`.
   *
   * @param item The item.
   * @throws {QueueFull} If a bounded queue has no free slot.
   * @throws {QueueShutDown} If the queue is shut down.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * console.log(queue.getNowait()); // 1
   * ```
   */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDown();
    if (this.#freeSlots() <= 0 || this.#putters.size > 0) {
      throw new QueueFull();
    }
    this.#push(item);
  }

  #push(item: T): void {
    this.#store.push(item);
    this.#unfinished++;
    this.#wakeGetters();
  }

  #wakeGetters(): void {
    while (
      this.#store.size > this.#gettersInFlight && this.#getters.unpark()
    ) {
      this.#gettersInFlight++;
    }
  }

  #wakePutters(): void {
    while (this.#freeSlots() > 0 && this.#putters.unpark()) {
      this.#puttersInFlight++;
    }
  }

  /**
   * Takes the next item, waiting while the queue is empty. Always a
   * cancellation point; when an item is ready it returns it without
   * yielding to the event loop.
   *
   * Mirrors `asyncio.Queue.get()`.
   *
   * @returns The item.
   * @throws {QueueShutDown} If the queue is shut down and empty (also while waiting).
   * @throws {CancelledError} If cancelled before an item was taken (none was).
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<string>();
   * queue.putNowait("job");
   * console.log(await queue.get()); // "job"
   * ```
   */
  get(): Promise<T> {
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (this.#store.size > this.#gettersInFlight) {
      try {
        return Promise.resolve(this.#take());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#shutdown) return Promise.reject(new QueueShutDown());
    return this.#waitToGet(currentScope());
  }

  #waitToGet(scope: Scope | undefined): Promise<T> {
    return this.#getters.park(scope).then(() => {
      // An item was kept for us since we were woken.
      this.#gettersInFlight--;
      if (scope !== undefined && scope.cancelled) {
        this.#wakeGetters();
        throw scope.deliver();
      }
      // Only `shutdown(true)` removes items promised to woken getters.
      if (this.#store.size === 0) throw new QueueShutDown();
      try {
        return this.#take();
      } catch (error) {
        this.#wakeGetters();
        throw error;
      }
    });
  }

  /**
   * Takes the next item at once.
   *
   * Mirrors `asyncio.Queue.get_nowait()`.
   *
   * @returns The item.
   * @throws {QueueEmpty} If no item is ready.
   * @throws {QueueShutDown} If no item is ready and the queue is shut down.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<number>();
   * queue.putNowait(7);
   * console.log(queue.getNowait()); // 7
   * ```
   */
  getNowait(): T {
    if (this.#store.size > this.#gettersInFlight) return this.#take();
    throw this.#shutdown ? new QueueShutDown() : new QueueEmpty();
  }

  #take(): T {
    const item = this.#store.pop();
    this.#wakePutters();
    return item;
  }

  /**
   * Marks one item taken from the queue as processed; once every item put
   * has been marked, `join()` returns.
   *
   * Mirrors `asyncio.Queue.task_done()`.
   *
   * @throws {RangeError} If called more times than items were put.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<string>();
   * queue.putNowait("job");
   * queue.getNowait();
   * queue.taskDone();
   * await queue.join(); // returns at once: nothing unfinished
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError(
        "Queue.taskDone() called more times than items were put",
      );
    }
    if (--this.#unfinished === 0) this.#joiners.unparkAll();
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * Always a cancellation point.
   *
   * Mirrors `asyncio.Queue.join()`.
   *
   * @returns Once no task is unfinished.
   * @throws {CancelledError} If cancelled while waiting.
   *
   * @example
   * ```ts
   * import { createTask, Queue, run } from "@seed/aio";
   * await run(async () => {
   *   const queue = new Queue<number>();
   *   for (let i = 0; i < 3; i++) queue.putNowait(i);
   *   createTask(async () => {
   *     for (;;) {
   *       await queue.get();
   *       queue.taskDone();
   *     }
   *   });
   *   await queue.join();
   *   console.log(queue.empty()); // true
   * });
   * ```
   */
  join(): Promise<void> {
    const scope = currentScope();
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    if (this.#unfinished === 0) return Promise.resolve();
    return this.#joiners.park(scope);
  }

  /**
   * Shuts the queue down: `put` and `putNowait` throw `QueueShutDown` from
   * now on, and so do blocked putters. Items already in the queue can still
   * be taken; once it is empty, `get` and `getNowait` throw `QueueShutDown`
   * too, and so do blocked getters. With `immediate`, the queue is emptied at
   * once: its items are dropped (each counted as done for `join()`), and
   * every `get` throws. Shutting down twice is harmless.
   *
   * Mirrors `asyncio.Queue.shutdown(immediate)` (Python 3.13).
   *
   * @param immediate Drop the queued items too; `false` by default. Also
   * accepted as an option, `shutdown({ immediate: true })`.
   * @throws {TypeError} If `immediate` is not a boolean.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.shutdown();
   * console.log(await queue.get()); // 1: items already in it remain
   * console.log(queue.empty()); // true: and now get() would throw
   * ```
   */
  shutdown(immediate: boolean | { immediate?: boolean } = false): void {
    if (immediate !== null && typeof immediate === "object") {
      immediate = immediate.immediate ?? false;
    }
    if (typeof immediate !== "boolean") {
      throw new TypeError(
        `Queue.shutdown(): immediate must be a boolean, got ${show(immediate)}`,
      );
    }
    this.#shutdown = true;
    if (immediate) {
      const dropped = this.#store.size;
      this.#store.clear();
      this.#unfinished = Math.max(0, this.#unfinished - dropped);
      if (this.#unfinished === 0) this.#joiners.unparkAll();
    }
    // Parked getters only wait on an empty queue (or one whose items are
    // all promised to woken getters): none of them can get an item now.
    this.#getters.rejectAll(new QueueShutDown());
    this.#putters.rejectAll(new QueueShutDown());
  }

  /** Whether `shutdown()` was called. */
  get isShutDown(): boolean {
    return this.#shutdown;
  }

  /**
   * Takes items with `get()` until the queue is shut down and empty (then
   * the loop ends). Cancellation and other errors propagate; `taskDone()` is
   * not called for you.
   *
   * @returns An async iterator over the items.
   *
   * @example
   * ```ts
   * import { Queue } from "@seed/aio";
   * const queue = new Queue<string>();
   * queue.putNowait("a");
   * queue.putNowait("b");
   * queue.shutdown();
   * const items: string[] = [];
   * for await (const item of queue) items.push(item);
   * console.log(items); // ["a", "b"]
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    let finished = false;
    const end = (): IteratorReturnResult<undefined> => {
      finished = true;
      return { done: true, value: undefined };
    };
    return {
      next: (): Promise<IteratorResult<T, undefined>> => {
        if (finished) return Promise.resolve(end());
        return this.get().then(
          (value) => ({ done: false, value }),
          (error) => {
            if (error instanceof QueueShutDown) return end();
            throw error;
          },
        );
      },
      return: (): Promise<IteratorResult<T, undefined>> =>
        Promise.resolve(end()),
    };
  }
}
