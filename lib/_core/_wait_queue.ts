// One fair, cancellation-aware wait queue under every primitive (Trio's
// ParkingLot). Waiters are woken strictly first-in first-out. A waiter that
// is cancelled while parked leaves the queue and gets CancelledError; one
// that was already woken keeps its wake-up (and whatever was handed to it)
// even if a cancellation arrives before it resumes, so a wake-up is never
// lost between a cancelled waiter and the next one. Cancellation is
// level-triggered, so that waiter's next cancellation point throws anyway.

import { currentScope, type Scope } from "./_scope.ts";
import { suspend, Wait } from "./_trap.ts";

class Waiter<T> extends Wait<T> {
  next: Waiter<T> | undefined = undefined;
  prev: Waiter<T> | undefined = undefined;
  linked = false;

  constructor(
    readonly queue: WaitQueue<T>,
    readonly onCancel: (() => void) | undefined,
  ) {
    super();
  }

  override arm(): void {
    this.queue._append(this);
  }

  override disarm(): void {
    if (!this.linked) return;
    this.queue._unlink(this);
    this.onCancel?.();
  }
}

/** A FIFO queue of parked waiters, each woken with a value of type `T`. */
export class WaitQueue<T = void> {
  #head: Waiter<T> | undefined;
  #tail: Waiter<T> | undefined;
  #size = 0;

  /** How many waiters are parked. */
  get size(): number {
    return this.#size;
  }

  /**
   * Parks the caller until `unpark` hands it a value; a cancellation point
   * of `scope` (the current scope by default). `onCancel` runs if the wait
   * is cancelled (after the waiter left the queue).
   */
  park(
    scope: Scope | undefined = currentScope(),
    onCancel?: () => void,
  ): Promise<T> {
    return suspend(new Waiter<T>(this, onCancel), scope, "park", this);
  }

  /** @internal */
  _append(waiter: Waiter<T>): void {
    waiter.linked = true;
    waiter.prev = this.#tail;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#size++;
  }

  /** Wakes the oldest waiter with `value`; returns false if none was parked. */
  unpark(value: T): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this._unlink(waiter);
    waiter.wake(value);
    return true;
  }

  /** Wakes every parked waiter with `value`; returns how many. */
  unparkAll(value: T): number {
    let count = 0;
    while (this.unpark(value)) count++;
    return count;
  }

  /** Fails every parked waiter with `error` (shutdown, broken barrier). */
  rejectAll(error: unknown): number {
    let count = 0;
    for (let waiter = this.#head; waiter !== undefined; waiter = this.#head) {
      this._unlink(waiter);
      waiter.fail(error);
      count++;
    }
    return count;
  }

  /** @internal */
  _unlink(waiter: Waiter<T>): void {
    if (!waiter.linked) return;
    waiter.linked = false;
    if (waiter.prev === undefined) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = undefined;
    this.#size--;
  }
}
