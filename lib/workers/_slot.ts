// The workers of a pool: what the pool needs of one (a Web Worker or a
// subprocess speaking the same protocol), its record (Slot), stopping it,
// and the workers terminated mid-call whose thread may still be running
// (`worker.terminate()` does not stop a JavaScript loop that never
// yields, a Deno limitation): counted for `stats().terminating`, and
// warned about in debug mode.

import { debugRun } from "../_core/_debug.ts";
import { cancelTimer, now, schedule, type Timer } from "../_core/_timers.ts";
import type { EventLoop } from "../event_loop.ts";

/** @internal What the pool needs of a worker (a subprocess can be one). */
export interface WorkerLike {
  postMessage(message: unknown, options?: StructuredSerializeOptions): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  /** Settles once the worker is gone (a subprocess); absent for a Web Worker. */
  readonly exited?: Promise<void>;
}

/** One worker of a pool; `C` is the call it runs (see _call.ts). */
export interface Slot<C = unknown> {
  readonly worker: WorkerLike;
  /** Targets (modules, sources) this worker was already sent. */
  readonly known: Set<number>;
  /** Set to 1 by the worker while a call's synchronous code runs (Web Workers). */
  readonly running: Int32Array | undefined;
  /** The function of the previous call (-1: none). */
  lastTarget: number;
  lastName: string | undefined;
  call: C | undefined;
  /** Calls sent to it (the worker numbers them the same way). */
  calls: number;
  /** The run of its latest call: where an error outside any call goes. */
  loop: EventLoop | undefined;
  /** It raised an error outside any call: stop it once its call ends. */
  retiring: boolean;
  idleSince: number;
  dead: boolean;
}

/** A fresh record for a worker just started. */
export function newSlot<C>(
  worker: WorkerLike,
  running: Int32Array | undefined,
): Slot<C> {
  return {
    worker,
    known: new Set(),
    running,
    lastTarget: -1,
    lastName: undefined,
    call: undefined,
    calls: 0,
    loop: undefined,
    retiring: false,
    idleSince: 0,
    dead: false,
  };
}

/** Terminates a worker; nothing it sends afterwards reaches anyone. */
export function stopWorker(worker: WorkerLike): void {
  worker.onmessage = null;
  worker.onmessageerror = null;
  // A stray late error event must not reach the process.
  worker.onerror = (event: ErrorEvent) => event.preventDefault();
  worker.terminate();
}

/**
 * How long a terminated worker may go on running its call's code before
 * debug mode warns about it.
 */
export const TERMINATE_GRACE_MS = 1000;

/**
 * Workers terminated while running a call whose thread may still be
 * running it. A Web Worker counts while its shared flag says the call's
 * synchronous code runs; a subprocess until it has exited.
 */
export class TerminatingWorkers {
  readonly #slots = new Set<Slot>();
  /** Debug mode: pending warnings, by the run they belong to. */
  readonly #warnings = new Map<Timer, EventLoop>();

  /**
   * `slot` was terminated mid-call, in `loop`'s run (null: outside any
   * run). In debug mode, warns once if it still runs after the grace period.
   */
  add(slot: Slot, loop: EventLoop | null): void {
    const exited = slot.worker.exited;
    if (slot.running === undefined && exited === undefined) return;
    this.#slots.add(slot);
    exited?.then(() => this.#slots.delete(slot));
    if (!this.#stillRunning(slot)) {
      this.#slots.delete(slot);
      return;
    }
    if (
      loop === null || loop.closed || debugRun(loop._rootScope) === undefined
    ) {
      return;
    }
    const since = now();
    const timer = schedule(since + TERMINATE_GRACE_MS, () => {
      this.#warnings.delete(timer);
      if (!this.#stillRunning(slot)) {
        this.#slots.delete(slot);
        return;
      }
      console.warn(
        `aio: a WorkerPool worker terminated ${
          Math.round(now() - since)
        } ms ago (its call was cancelled) is still running the call's code: ` +
          "terminate() cannot stop a JavaScript loop that never yields, so it " +
          "keeps a core busy and the process alive until the loop returns. " +
          "Make the function return early when asked (e.g. check a shared flag), " +
          "or use SubprocessExecutor, whose processes are killed for real",
      );
    });
    this.#warnings.set(timer, loop);
    // Never outlive the run, whether or not the pool is still attached.
    loop._addCleanup(() => {
      if (this.#warnings.delete(timer)) cancelTimer(timer);
    });
  }

  /** How many may still be running (checked now). */
  count(): number {
    for (const slot of this.#slots) {
      if (!this.#stillRunning(slot)) this.#slots.delete(slot);
    }
    return this.#slots.size;
  }

  /** `loop`'s run ended: drop its pending warnings. */
  forgetRun(loop: EventLoop): void {
    for (const [timer, of] of this.#warnings) {
      if (of !== loop) continue;
      cancelTimer(timer);
      this.#warnings.delete(timer);
    }
  }

  #stillRunning(slot: Slot): boolean {
    if (slot.running !== undefined) return Atomics.load(slot.running, 0) === 1;
    return this.#slots.has(slot);
  }
}
