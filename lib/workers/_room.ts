// Back-pressure for an executor: a caller beyond its capacity waits for room,
// in arrival order, as a cancellation point (a wait queue through the one
// wait primitive). A caller woken for room keeps its place even if it is
// cancelled before it resumes: it hands the room to the next one, so a
// wake-up is never lost.

import { Scope } from "../_core/_scope.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";

/** Callers waiting for room in an executor (WorkerPool, RedisExecutor). */
export class Room {
  readonly #queue = new WaitQueue<void>();
  // Callers woken with room kept for them, not yet resumed.
  #woken = 0;
  readonly #free: () => number;

  /** @param free How many more calls the executor could take now. */
  constructor(free: () => number) {
    this.#free = free;
  }

  /** How many callers wait for room. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Whether a new caller may go straight in (nobody waits: no barging). */
  open(): boolean {
    return this.#queue.size === 0 && this.#free() > this.#woken;
  }

  /** Wakes as many waiting callers as there is room for. */
  wake(): void {
    while (this.#queue.size > 0 && this.#free() > this.#woken) {
      this.#woken++;
      this.#queue.unpark();
    }
  }

  /** Fails every waiting caller (the executor closed). */
  rejectAll(error: unknown): void {
    this.#queue.rejectAll(error);
  }

  /**
   * Waits for room in a child scope of `scope` that `signal` cancels too
   * (then the wait rejects with `signal.reason`). `closed` names the error
   * to throw if the executor closed meanwhile.
   */
  async enter(
    scope: Scope | undefined,
    signal: AbortSignal | undefined,
    label: string,
    closed: () => Error | undefined,
  ): Promise<void> {
    const waiting = new Scope(scope, scope?.task, label);
    const onAbort = (): void => {
      waiting.cancel(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#queue.park(waiting);
      this.#woken--;
      const error = closed();
      if (error !== undefined) throw error;
      if (waiting.cancelled) {
        // A wake-up must not be lost: hand the room to the next caller.
        this.wake();
        throw waiting.deliver();
      }
    } catch (error) {
      if (
        signal?.aborted && waiting.cancelCalled &&
        !(scope !== undefined && scope.cancelled)
      ) {
        throw signal.reason;
      }
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      waiting.close();
    }
  }
}
