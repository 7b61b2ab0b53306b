/**
 * `gather(...items, { returnExceptions })`: run or await several things
 * concurrently and collect their results in order. Structured, unlike
 * asyncio's: on the first error the children it started are cancelled and
 * awaited before the error is thrown. Mirrors `asyncio.gather`.
 *
 * @module
 */

import { CancelledError, InvalidStateError, isCancelled } from "./errors.ts";
import { closesAwaitCycle, Future, FutureState } from "./future.ts";
import { currentScope, Scope } from "./_core/_scope.ts";
import { suspend, Wait } from "./_core/_trap.ts";
import { checkOptions } from "./_core/_checks.ts";
import {
  type Awaitable,
  checkAwaitable,
  isThenable,
  reportError,
} from "./_core/_awaitables.ts";
import { nearestNursery, Nursery, Task, type TaskFunction } from "./task.ts";

/** Options for {@linkcode gather}, passed as the last argument. */
export interface GatherOptions {
  /** Put errors in the results instead of throwing the first one. */
  returnExceptions?: boolean;
}

/** One argument of `gather`: a task function, or a promise, Task or Future. */
export type GatherItem<T> = Awaitable<T>;

/**
 * Runs functions as child tasks and awaits promises, Tasks and Futures, all
 * concurrently; returns their results in argument order. Without
 * `returnExceptions`, the first error cancels the children gather started,
 * waits for them, then is thrown; every later error of what gather owns (a
 * second failure, a child's cleanup error, a promise item rejecting late) is
 * reported to the loop's exception handler, never dropped. With it, errors
 * (and cancellations of individual items) take their place in the results.
 *
 * gather owns only what it started: Tasks, Futures and promises passed in
 * are awaited, never cancelled by a sibling's failure. Cancelling the caller
 * cancels the children and the Tasks and Futures passed in, and waits for
 * them to unwind (asyncio's rules).
 *
 * Mirrors `asyncio.gather(*aws, return_exceptions=False)`.
 *
 * @param items Functions, promises, Tasks or Futures; an options object may come last.
 * @returns The results, in order.
 * @throws {TypeError} If an item is not a function or awaitable, or an option is unknown or of the wrong type (before anything starts).
 * @throws {InvalidStateError} If an item is the caller's own task or a task enclosing it (awaiting it would never end).
 * @throws {unknown} The first error, without `returnExceptions`.
 *
 * @example
 * ```ts
 * import { gather, sleep } from "@seed/aio";
 * const [a, b] = await gather(() => sleep(10, "a"), sleep(5, "b"));
 * console.log(a, b); // "a" "b"
 * const results = await gather(
 *   () => Promise.reject(new Error("bad")),
 *   () => sleep(5, "ok"),
 *   { returnExceptions: true },
 * );
 * console.log(results[0] instanceof Error, results[1]); // true "ok"
 * ```
 */
export function gather<T extends unknown[]>(
  ...items: { [K in keyof T]: GatherItem<T[K]> }
): Promise<T>;
/**
 * `gather` with options as the last argument.
 *
 * @param args The items, then `{ returnExceptions }`.
 * @returns The results (or errors, with `returnExceptions`), in order.
 */
export function gather(
  ...args: [...GatherItem<unknown>[], GatherOptions]
): Promise<unknown[]>;
export async function gather(...args: unknown[]): Promise<unknown[]> {
  let options: GatherOptions | undefined;
  const last = args[args.length - 1];
  if (
    args.length > 0 && last !== null && typeof last === "object" &&
    !isThenable(last)
  ) {
    options = args.pop() as GatherOptions;
  }
  checkOptions(options, { returnExceptions: "boolean" }, "gather()");
  args.forEach((item, i) => checkAwaitable(item, `gather() item ${i}`));
  const scope = currentScope();
  checkNoCycle(args, scope);
  if (args.length === 0) return [];
  const wait = new GatherWait(args, options?.returnExceptions === true, scope);
  return await suspend(wait, scope, "group", wait);
}

// Awaiting a task that encloses the caller (the caller itself, or a task it
// runs inside of), or one that is waiting for the caller, would never end:
// that task cannot settle before the caller does.
function checkNoCycle(items: unknown[], scope: Scope | undefined): void {
  let enclosing: Set<Scope> | undefined;
  items.forEach((item, i) => {
    if (!(item instanceof Task) || item.done()) return;
    if (enclosing === undefined) {
      enclosing = new Set();
      for (let s = scope; s !== undefined; s = s.parent) enclosing.add(s);
    }
    let problem: string | undefined;
    if (enclosing.has(item.scope)) {
      problem = item.scope === scope?.task?.scope
        ? "is the caller"
        : "encloses the caller";
    } else if (closesAwaitCycle(item, scope?.task)) {
      problem = "is waiting for the caller (an await cycle)";
    }
    if (problem !== undefined) {
      throw new InvalidStateError(
        `gather() item ${i}: ${item.describe()} ${problem}; awaiting it would never end`,
      );
    }
  });
}

const RUNNING = 0;
const FAILING = 1;
const CANCELLING = 2;
const FINISHED = 3;

// How gather holds each item: a child it started (owned), a promise it
// awaits (owned: nobody else gets its rejection), or a Task or Future passed
// in (awaited; cancelled only when gather itself is cancelled).
const CHILD = 0;
const PROMISE = 1;
const PASSED = 2;

// The one wait of a gather call. Function items run as tasks in gather's
// own scope; the caller waits on this object in its scope. On the first
// error gather cancels its children, waits for them, then throws the error;
// every later error of what it owns is reported, not dropped. Cancelling the
// caller cancels the children and the Tasks and Futures passed in, and
// waits for them to unwind.
class GatherWait extends Wait<unknown[]> {
  readonly #items: unknown[];
  readonly #kinds: number[];
  readonly #results: unknown[];
  readonly #returnExceptions: boolean;
  readonly #outer: Scope | undefined;
  #scope: Scope | undefined;
  #nursery: Nursery | undefined;
  #children: Map<Task<unknown>, number> | undefined;
  #phase = RUNNING;
  #remaining: number;
  #passedPending = 0;
  #observing = false;
  #first: { error: unknown } | undefined;
  #cancelError: CancelledError | undefined;
  #reported: Set<unknown> | undefined;
  #inResults: unknown[] | undefined;
  #awaiting: Task<unknown> | undefined;
  // Inside the nursery's child-done call, which still counts that child.
  #inChildDone = 0;
  // Each distinct Task or Future passed in, with its places in the results.
  readonly #passed = new Map<Future<unknown>, number[]>();
  readonly #onPassedDone = (future: Future<unknown>): void => {
    this.#passedPending--;
    this.#passedSettled(future);
  };

  constructor(
    items: unknown[],
    returnExceptions: boolean,
    outer: Scope | undefined,
  ) {
    super();
    this.#items = items;
    this.#returnExceptions = returnExceptions;
    this.#outer = outer;
    this.#remaining = items.length;
    this.#results = new Array(items.length);
    this.#kinds = items.map((item, i) => {
      if (typeof item === "function") return CHILD;
      if (!(item instanceof Future)) return PROMISE;
      const places = this.#passed.get(item);
      if (places === undefined) this.#passed.set(item, [i]);
      else places.push(i);
      return PASSED;
    });
    // Promises first, before anything starts: a throwing `then` starts
    // nothing. (A rejection that then has no reader is reported.)
    items.forEach((item, i) => {
      if (this.#kinds[i] !== PROMISE) return;
      try {
        (item as PromiseLike<unknown>).then(
          (value) => this.#settled(i, FutureState.FULFILLED, value, undefined),
          (error) =>
            this.#settled(
              i,
              error instanceof CancelledError
                ? FutureState.CANCELLED
                : FutureState.REJECTED,
              error,
              undefined,
            ),
        );
      } catch (error) {
        this.#phase = FINISHED;
        throw error;
      }
    });
  }

  override arm(): void {
    // Await cycles through gather are found from the other side too: the
    // caller's task names one pending Task it waits for.
    const task = this.#outer?.task;
    if (task !== undefined) {
      for (const item of this.#passed.keys()) {
        if (item instanceof Task && !item.done()) {
          task.awaiting = this.#awaiting = item;
          break;
        }
      }
    }
    this.#observePassed();
    if (this.#phase !== RUNNING) return;
    const outer = this.#outer;
    const scope = this.#scope = new Scope(outer, outer?.task, "gather()");
    const nursery = this.#nursery = new Nursery(
      scope,
      (task) => this.#childDone(task),
      nearestNursery(outer)?.observer,
    );
    const children = this.#children = new Map();
    this.#items.forEach((item, i) => {
      if (this.#kinds[i] !== CHILD) return;
      children.set(
        nursery.spawn(item as TaskFunction<unknown>, `gather()[${i}]`),
        i,
      );
    });
    this.#check();
  }

  override cancel(error: CancelledError): void {
    if (this.#phase === FINISHED) return;
    const wasRunning = this.#phase === RUNNING;
    this.#phase = CANCELLING;
    this.#cancelError = error;
    this.#scope?.cancel(error.reason);
    if (wasRunning) {
      // asyncio's rule: cancelling gather cancels what was passed to it.
      this.#observePassed();
      const caller = this.#outer?.task;
      for (const item of this.#passed.keys()) {
        item.cancel(error.reason);
        // A Task waiting (through others) for the caller cannot unwind
        // before the caller: cancelled, it is not waited for.
        if (!item.done() && closesAwaitCycle(item, caller)) {
          item.removeDoneCallback(this.#onPassedDone);
          this.#passedPending--;
        }
      }
    }
    this.#check();
  }

  #observePassed(): void {
    if (this.#observing) return;
    this.#observing = true;
    const done: Future<unknown>[] = [];
    for (const item of this.#passed.keys()) {
      if (item.done()) done.push(item);
      else {
        this.#passedPending++;
        item.addDoneCallback(this.#onPassedDone);
      }
    }
    for (const item of done) this.#passedSettled(item);
  }

  #passedSettled(future: Future<unknown>): void {
    const state = future._state();
    const value = future._value();
    for (const index of this.#passed.get(future)!) {
      this.#settled(index, state, value, future);
    }
  }

  #childDone(task: Task<unknown>): void {
    this.#inChildDone++;
    try {
      this.#childSettled(task);
    } finally {
      this.#inChildDone--;
    }
  }

  #childSettled(task: Task<unknown>): void {
    const index = this.#children!.get(task);
    if (index !== undefined) {
      this.#settled(index, task._state(), task._value(), task);
      return;
    }
    // A task a child started in gather's scope: its failure fails gather,
    // as it would fail a task group (unless its shielded caller got it).
    if (
      task._state() === FutureState.REJECTED &&
      !(task.scope.shielded && task._retrieved())
    ) {
      task._markRetrieved();
      this.#failed(task._value());
    }
    this.#check();
  }

  #settled(
    index: number,
    state: number,
    value: unknown,
    future: Future<unknown> | undefined,
  ): void {
    const kind = this.#kinds[index];
    if (this.#phase !== RUNNING) {
      // Not read: a passed-in item's outcome stays its owner's to read.
      if (kind === PASSED) {
        this.#check();
        return;
      }
      future?._markRetrieved();
      if (state === FutureState.REJECTED) this.#report(value);
      if (kind === CHILD) this.#check();
      return;
    }
    this.#remaining--;
    future?._markRetrieved();
    if (state === FutureState.FULFILLED) {
      this.#results[index] = value;
    } else if (this.#returnExceptions) {
      this.#results[index] = value;
      // If gather ends without returning them, they are reported.
      if (state === FutureState.REJECTED) (this.#inResults ??= []).push(value);
    } else {
      this.#failed(value);
    }
    this.#check();
  }

  // An error that gather did not return in its results: the first is
  // thrown (while running), every later one is reported.
  #failed(error: unknown): void {
    if (this.#phase !== RUNNING) {
      this.#report(error);
      return;
    }
    this.#first = { error };
    this.#phase = FAILING;
    // Passed-in items are not gather's: stop waiting for them.
    for (const item of this.#passed.keys()) {
      item.removeDoneCallback(this.#onPassedDone);
    }
    this.#passedPending = 0;
    this.#scope?.cancel("gather() is failing");
  }

  #report(error: unknown): void {
    // The same error reaching gather twice (a child rethrowing what a task
    // it awaited raised) is accounted for once.
    if (isCancelled(error) || error === this.#first?.error) return;
    const seen = this.#reported ??= new Set();
    if (seen.has(error)) return;
    seen.add(error);
    reportError(
      error,
      this.#phase === CANCELLING && this.#first === undefined
        ? "gather(): error while gather was cancelled"
        : "gather(): error after the first (the first was thrown)",
      this.#outer,
    );
  }

  #check(): void {
    const idle = (this.#nursery?.pending ?? 0) - this.#inChildDone === 0;
    switch (this.#phase) {
      case RUNNING:
        if (this.#remaining === 0 && idle) {
          this.#close();
          this.wake(this.#results);
        }
        break;
      case FAILING:
        if (idle) {
          this.#close();
          this.#reportResults();
          this.fail(this.#first!.error);
        }
        break;
      case CANCELLING:
        if (idle && this.#passedPending === 0) {
          this.#close();
          this.#reportResults();
          const first = this.#first;
          this.fail(
            first !== undefined && !isCancelled(first.error)
              ? first.error
              : this.#cancelError,
          );
        }
        break;
    }
  }

  // Errors placed in results that will never be returned.
  #reportResults(): void {
    const errors = this.#inResults;
    this.#inResults = undefined;
    if (errors !== undefined) {
      for (const error of errors) {
        this.#report(error);
      }
    }
  }

  #close(): void {
    this.#phase = FINISHED;
    const task = this.#outer?.task;
    if (task !== undefined && task.awaiting === this.#awaiting) {
      task.awaiting = undefined;
    }
    if (this.#nursery !== undefined) this.#nursery.finished = true;
    this.#scope?.close();
    for (const item of this.#passed.keys()) {
      item.removeDoneCallback(this.#onPassedDone);
    }
  }
}
