// The one way a task waits. `suspend()` is the only function in aio that
// parks a task on a promise (Trio's `_traps.py`: "the only functions that
// ever yield back to the task runner"): sleeps, queue and lock waits,
// futures, tasks, group exits, stream reads, worker calls, subprocesses,
// HTTP requests and remote calls all go through it, so the cancelled
// check, linking into the scope, the debug/trace/virtual-time hooks and the
// order of settling live in exactly one place.
//
// A wait is an object, not a set of closures: the caller subclasses `Wait`
// (or uses one of the small ones below), arms whatever will wake it in
// `arm()`, releases it in `disarm()`, and calls `wake(value)` or
// `fail(error)` when its event happens. The scope cancels it through
// `cancel(error)` (`disarm()`, then `fail()`), which a wait may override
// when its cancellation must first wait for something (a cancelled awaiter
// of a task waits for the task to unwind).
//
// Watching adds no turn: the hook hears a wait end synchronously, right
// before the promise the caller awaits is settled.

import { AsyncLocalStorage } from "node:async_hooks";
import { type CancelNode, type Scope, waitHook } from "./_scope.ts";
import type { WaitKind } from "./_types.ts";
import type { CancelledError } from "../errors.ts";

export type { WaitKind };

// Waits on real work in flight (a worker, a subprocess, a remote call):
// virtual time must not jump while one is pending.
let realWork = 0;

/** How many waits on real work (worker, subprocess, remote) are pending. */
export function realWorkInFlight(): number {
  return realWork;
}

/** The kinds of wait that stand for real work the virtual clock cannot see. */
function isRealWork(kind: WaitKind): boolean {
  return kind === "worker" || kind === "process" || kind === "remote";
}

/**
 * A suspended task's wait. Subclass it; `suspend()` drives it. The fields
 * make it the scope's intrusive cancel node, so a wait allocates nothing
 * beyond itself and its promise.
 */
export abstract class Wait<T> implements CancelNode {
  prevNode: CancelNode | undefined = undefined;
  nextNode: CancelNode | undefined = undefined;
  linkedTo: Scope | undefined = undefined;
  /** Settled: woken, failed or cancelled. */
  settled = false;
  // Plain fields, not #private: every kind of wait passes through the same
  // few lines here, and a private brand check on that many shapes costs a
  // measurable share of a lock or event wait.
  /** @internal */
  _resolve: ((value: T) => void) | undefined = undefined;
  /** @internal */
  _reject: ((error: unknown) => void) | undefined = undefined;
  /** @internal Heard by the hooks when the wait ends (debug, trace, virtual time). */
  _ended: (() => void) | undefined = undefined;
  /** @internal Counted as real work in flight. */
  _real = false;

  /** Starts whatever will wake this wait (called once, by `suspend`). */
  arm(): void {}

  /** Releases what `arm()` started (called when cancelled; must be idempotent). */
  disarm(): void {}

  /** Wakes the waiter with `value`; false if it was already settled. */
  wake(value: T): boolean {
    if (this.settled) return false;
    const resolve = this._resolve!;
    end(this);
    resolve(value);
    return true;
  }

  /** Fails the waiter with `error`; false if it was already settled. */
  fail(error: unknown): boolean {
    if (this.settled) return false;
    const reject = this._reject!;
    end(this);
    reject(error);
    return true;
  }

  /**
   * Called once by the scope when it is cancelled (or by `suspend` when the
   * scope already was): by default disarms, then fails with `error`.
   */
  cancel(error: CancelledError): void {
    this.disarm();
    this.fail(error);
  }
}

function end<T>(wait: Wait<T>): void {
  wait.settled = true;
  // A settled wait may stay referenced (a native promise reaction cannot be
  // removed): let go of the caller's promise.
  wait._resolve = wait._reject = undefined;
  if (wait.linkedTo !== undefined) wait.linkedTo.unlink(wait);
  if (wait._real) {
    wait._real = false;
    realWork--;
  }
  const ended = wait._ended;
  if (ended !== undefined) {
    wait._ended = undefined;
    ended();
  }
}

/**
 * Suspends the caller on `wait` as a cancellation point of `scope`: if the
 * scope is already cancelled the wait is cancelled at once (never armed);
 * otherwise the hooks hear it begin, it is linked into the scope and armed.
 * `kind` and `detail` describe it to debug mode, traces and virtual time.
 * A `shielded` wait is one cancellation does not interrupt (a group's exit
 * waits for its children, which the cancellation reaches instead): the
 * hooks see it like any other, but it is never linked into the scope.
 */
export function suspend<T>(
  wait: Wait<T>,
  scope: Scope | undefined,
  kind: WaitKind,
  detail?: unknown,
  shielded = false,
): Promise<T> {
  if (scope !== undefined && scope.cancelled && !shielded) {
    const refused = new Promise<T>((resolve, reject) => {
      wait._resolve = resolve;
      wait._reject = reject;
    });
    wait.cancel(scope.deliver());
    return refused;
  }
  // The hook runs here, not in the executor, so a captured stack starts at
  // the caller's frame.
  const hook = scope === undefined ? undefined : waitHook.current;
  const ended = hook === undefined ? undefined : hook(scope!, kind, detail);
  const promise = new Promise<T>((resolve, reject) => {
    wait._resolve = resolve;
    wait._reject = reject;
  });
  wait._ended = ended;
  if (isRealWork(kind)) {
    wait._real = true;
    realWork++;
  }
  if (!shielded) scope?.link(wait);
  wait.arm();
  return promise;
}

// ---------------------------------------------------------------------------
// Small waits shared by many callers.

/** Waits on a promise-like; `onCancel` releases what the wait held. */
// Runs a function in the context this module was loaded in (no task).
const outside: <R, A extends unknown[]>(
  fn: (...args: A) => R,
  ...args: A
) => R = AsyncLocalStorage.snapshot();

function react<T>(promise: PromiseLike<T>, wait: Wait<T>): void {
  promise.then(
    (value) => wait.wake(value),
    (error) => wait.fail(error),
  );
}

// The promise's reaction cannot be removed, so a wait cancelled while the
// promise stays pending is kept until it settles: it drops everything but
// itself (a few dozen bytes) when it ends.
class PromiseWait<T> extends Wait<T> {
  #onCancel: (() => void) | undefined;
  #promise: PromiseLike<T> | undefined;

  constructor(promise: PromiseLike<T>, onCancel: (() => void) | undefined) {
    super();
    this.#promise = promise;
    this.#onCancel = onCancel;
  }

  override arm(): void {
    const promise = this.#promise!;
    this.#promise = undefined;
    // Registered outside the task's context: a reaction keeps the context it
    // was made in (the scope, its CancelledError and stack) alive for as
    // long as the promise is pending.
    outside(react, promise, this);
  }

  override disarm(): void {
    const onCancel = this.#onCancel;
    this.#onCancel = undefined;
    onCancel?.();
  }
}

/**
 * Awaits `promise` as a cancellation point of `scope`: if the scope is (or
 * becomes) cancelled first, rejects with `CancelledError` after calling
 * `onCancel` (which may release whatever the wait held). Outside any scope
 * it is the promise itself.
 */
export function waitPromise<T>(
  promise: PromiseLike<T>,
  scope: Scope | undefined,
  kind: WaitKind = "promise",
  onCancel?: () => void,
): Promise<T> {
  if (scope === undefined) return Promise.resolve(promise);
  return suspend(new PromiseWait(promise, onCancel), scope, kind, promise);
}
