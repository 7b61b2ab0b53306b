/**
 * `signalReceiver(...sigs)`: the signals this process receives, as an
 * async iterator scoped to the task. Mirrors Trio's
 * `open_signal_receiver(*signals)`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { currentScope } from "../_core/_scope.ts";
import { suspend, Wait } from "../_core/_trap.ts";
import { checkSignal, keepAlive } from "../_core/_signals.ts";
import { getRunningLoop } from "../event_loop.ts";

/**
 * The iterator {@linkcode signalReceiver} returns: yields signal names as
 * they arrive; `close()` (or leaving a `for await` loop, or `using`)
 * removes its listeners.
 */
export interface SignalReceiver
  extends AsyncIterableIterator<Deno.Signal>, Disposable {
  /** Removes the listeners; a waiting `next()` ends the iteration. */
  close(): void;
  /** Whether `close()` ran (or the scope was cancelled, or the run ended). */
  readonly closed: boolean;
}

// A task waiting for a signal keeps the process alive (a Deno signal
// listener alone does not).
class SignalWait extends Wait<IteratorResult<Deno.Signal>> {
  #release: (() => void) | undefined;

  constructor(readonly receiver: Receiver) {
    super();
  }

  override arm(): void {
    this.receiver.waiter = this;
    this.#release = keepAlive();
  }

  override disarm(): void {
    // Cancelling the wait ends the receiver: its listeners go now.
    this.receiver.close();
  }

  override wake(value: IteratorResult<Deno.Signal>): boolean {
    this.#free();
    return super.wake(value);
  }

  override fail(error: unknown): boolean {
    this.#free();
    return super.fail(error);
  }

  #free(): void {
    this.#release?.();
    this.#release = undefined;
  }
}

class Receiver implements SignalReceiver {
  waiter: SignalWait | undefined = undefined;
  readonly #pending: Deno.Signal[] = [];
  readonly #removers: (() => void)[];
  #unhook: (() => void) | undefined;
  #closed = false;

  constructor(sigs: Deno.Signal[]) {
    const loop = getRunningLoop();
    const scope = currentScope();
    if (scope?.cancelled) throw scope.deliver();
    this.#removers = sigs.map((sig) =>
      loop._listenSignal(sig, () => this.#receive(sig))
    );
    this.#unhook = scope?.onCancel(() => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  #receive(sig: Deno.Signal): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.wake({ value: sig, done: false });
      return;
    }
    // Trio's rule: a signal that is already pending is not queued twice.
    if (!this.#pending.includes(sig)) this.#pending.push(sig);
  }

  next(): Promise<IteratorResult<Deno.Signal>> {
    if (this.waiter !== undefined) {
      return Promise.reject(
        new InvalidStateError(
          "Cannot wait for a signal: another next() of this receiver is waiting",
        ),
      );
    }
    const scope = currentScope();
    if (this.#pending.length > 0 && !scope?.cancelled) {
      return Promise.resolve({ value: this.#pending.shift()!, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return suspend(new SignalWait(this), scope, "signal", "signalReceiver");
  }

  return(): Promise<IteratorResult<Deno.Signal>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const remove of this.#removers) remove();
    this.#unhook?.();
    this.#unhook = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.wake({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Listens for the signals `sigs` from now on and yields each one as it
 * arrives (a signal that arrives again before it was consumed is yielded
 * once). The listeners belong to the calling task: leaving the `for await`
 * loop, cancelling the task (or its scope), or the end of `run()` removes
 * them. While a receiver listens for SIGINT or SIGTERM, that signal no
 * longer ends the process by itself. Waiting for the next signal is a
 * cancellation point.
 *
 * Mirrors Trio's `with open_signal_receiver(*signals) as receiver: async
 * for signum in receiver: ...`.
 *
 * @param sigs Signal names, e.g. `"SIGHUP"`, `"SIGUSR1"`.
 * @returns The receiver (an async iterator, disposable).
 * @throws {TypeError} If no signal is given, or one is not a signal name
 *   that can be handled (nothing is installed then).
 * @throws {InvalidStateError} Outside `run()`.
 *
 * @example
 * ```ts
 * import { run, signalReceiver } from "@seed/aio";
 * await run(async () => {
 *   const signals = signalReceiver("SIGUSR1", "SIGHUP");
 *   Deno.kill(Deno.pid, "SIGUSR1");
 *   for await (const sig of signals) {
 *     console.log(sig); // "SIGUSR1"
 *     break; // removes the listeners
 *   }
 * });
 * ```
 */
export function signalReceiver(...sigs: Deno.Signal[]): SignalReceiver {
  if (sigs.length === 0) {
    throw new TypeError("signalReceiver(): give at least one signal name");
  }
  const checked = sigs.map((sig) => checkSignal(sig, "signalReceiver()", true));
  return new Receiver([...new Set(checked)]);
}
