// One fair, cancellation-aware wait queue under every primitive (Trio's
// ParkingLot). Waiters are woken strictly first-in first-out. A waiter that
// is cancelled while parked leaves the queue and gets CancelledError; one
// that was already woken keeps its wake-up (and whatever was handed to it)
// even if a cancellation arrives before it resumes, so a wake-up is never
// lost between a cancelled waiter and the next one. Cancellation is
// level-triggered, so that waiter's next cancellation point throws anyway.

import {
  type CancelNode,
  currentScope,
  endFirst,
  type Scope,
  waitHook,
} from "./_scope.ts";
import type { CancelledError } from "../errors.ts";

class Waiter<T> implements CancelNode {
  prevNode: CancelNode | undefined = undefined;
  nextNode: CancelNode | undefined = undefined;
  linkedTo: Scope | undefined = undefined;
  next: Waiter<T> | undefined = undefined;
  linked = true;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly queue: WaitQueue<T>,
    public prev: Waiter<T> | undefined,
    readonly onCancel: (() => void) | undefined,
  ) {}

  cancel(error: CancelledError): void {
    this.queue._unlink(this);
    this.onCancel?.();
    this.reject(error);
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
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    const ended = scope === undefined
      ? undefined
      : waitHook.current?.(scope, "park", this);
    const waiter = new Waiter<T>(this, this.#tail, onCancel);
    const waiting = new Promise<T>((resolve, reject) => {
      if (ended !== undefined) {
        [resolve, reject] = endFirst(ended, resolve, reject);
      }
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#size++;
    scope?.link(waiter);
    return waiting;
  }

  /** Wakes the oldest waiter with `value`; returns false if none was parked. */
  unpark(value: T): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this._unlink(waiter);
    waiter.linkedTo?.unlink(waiter);
    waiter.resolve(value);
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
      waiter.linkedTo?.unlink(waiter);
      waiter.reject(error);
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
