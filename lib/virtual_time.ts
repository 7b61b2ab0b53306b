/**
 * `withVirtualTime(fn)` and `VirtualClock`: aio's timers on a virtual clock
 * that jumps to the next deadline as soon as every task is blocked, for
 * fast, deterministic tests. Mirrors Trio's `MockClock(autojump_threshold)`
 * and Kotlin's `runTest`.
 *
 * @module
 */

import { clearImmediate, setImmediate } from "node:timers";
import { InvalidStateError } from "./errors.ts";
import { checkDelay, checkFunction, show } from "./_core/_checks.ts";
import {
  installClock,
  nextDeadline,
  now,
  pendingTimers,
  runDue,
} from "./_core/_timers.ts";
import { waitCount, watchWaits } from "./_core/_debug.ts";
import { realWorkInFlight } from "./_core/_trap.ts";

// How often (real ms) to look again while real work keeps the clock still.
const REAL_WORK_POLL_MS = 2;

/** Options for {@linkcode withVirtualTime}. */
export interface VirtualTimeOptions {
  /**
   * How long, in real milliseconds, nothing must happen before the clock
   * jumps to the next deadline. `0` (the default) jumps as soon as every
   * task is blocked; raise it for tests that wait on real I/O that aio does
   * not see (a raw `Deno.Conn`, a subprocess); `Infinity` never jumps: time
   * moves only through {@linkcode VirtualClock.advance}.
   * Trio's `autojump_threshold`.
   */
  autojumpThresholdMs?: number;
}

// Fast turns (setImmediate) drain microtasks cheaply; a real timer turn
// after them lets the host poll I/O before the clock jumps.
const QUIET_TURNS = 3;

let active = false;

/**
 * The virtual clock of {@linkcode withVirtualTime}: every aio timer
 * (`sleep`, `timeout`, `callLater`, idle timeouts) runs on it. It starts at
 * the real clock's reading and moves only by jumps (when every task is
 * blocked) or by {@linkcode VirtualClock.advance}. `Date.now()` and
 * `performance.now()` stay real: read time with `clock.now()` or
 * `getRunningLoop().time()`.
 *
 * Mirrors Trio's `MockClock`.
 */
export class VirtualClock {
  #now: number;
  readonly #start: number;
  #threshold: number;
  #disposed = false;
  // What drives the next look: a fast turn, a slow one, or the look in
  // progress (so that timers it fires do not start a second chain).
  #scheduled: "fast" | "slow" | "turn" | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #timeout: number | undefined;
  #signature = "";
  #quietTurns = 0;
  #quietSince = 0;
  #confirmed = false;
  #advanceTo: number | undefined;
  #advanced: (() => void) | undefined;

  /** @internal Made by `withVirtualTime`. */
  constructor(start: number, threshold: number) {
    this.#now = start;
    this.#start = start;
    this.#threshold = threshold;
  }

  /**
   * The virtual time, on the scale of `getRunningLoop().time()`.
   * @returns Milliseconds.
   */
  now(): number {
    return this.#now;
  }

  /** Virtual milliseconds since `withVirtualTime` began. */
  get elapsed(): number {
    return this.#now - this.#start;
  }

  /** See {@linkcode VirtualTimeOptions.autojumpThresholdMs}; may be changed at any time. */
  get autojumpThresholdMs(): number {
    return this.#threshold;
  }

  set autojumpThresholdMs(ms: number) {
    this.#threshold = checkThreshold(ms, "autojumpThresholdMs");
    this.#reset();
    this.#kick();
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that falls due on
   * the way in deadline order and letting tasks react after each, then
   * resolves once the clock reads `now() + ms` and every task is blocked
   * again. Kotlin's `advanceTimeBy`.
   *
   * @param ms Virtual milliseconds (negative counts as 0).
   * @returns Once done.
   * @throws {TypeError} If `ms` is not a number.
   * @throws {InvalidStateError} If another `advance` is in progress or the clock is no longer in use.
   */
  advance(ms: number): Promise<void> {
    checkDelay(ms, "VirtualClock.advance()");
    this.#checkLive("advance");
    if (this.#advanceTo !== undefined) {
      throw new InvalidStateError(
        "Cannot advance: another advance() is in progress",
      );
    }
    this.#advanceTo = this.#now + Math.max(0, ms);
    this.#reset();
    return new Promise<void>((resolve) => {
      this.#advanced = resolve;
      this.#kick();
    });
  }

  /**
   * Moves the clock forward by `ms` at once, without waiting; timers that
   * fall due run on the next turn of the event loop. Trio's `jump`.
   *
   * @param ms Virtual milliseconds (negative counts as 0).
   * @throws {TypeError} If `ms` is not a number.
   * @throws {InvalidStateError} If the clock is no longer in use.
   */
  jump(ms: number): void {
    checkDelay(ms, "VirtualClock.jump()");
    this.#checkLive("jump");
    this.#now += Math.max(0, ms);
    this.#kick();
  }

  /** @internal Told by the timer heap of the earliest deadline. */
  wake(when: number): void {
    if (when !== Infinity) this.#kick();
  }

  /** @internal Stops driving: no host timer is left behind. */
  _dispose(): void {
    this.#disposed = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timeout !== undefined) globalThis.clearTimeout(this.#timeout);
    this.#immediate = undefined;
    this.#timeout = undefined;
    this.#scheduled = undefined;
    this.#advanced?.();
    this.#advanced = undefined;
    this.#advanceTo = undefined;
  }

  #checkLive(what: string): void {
    if (this.#disposed) {
      throw new InvalidStateError(
        `Cannot ${what}: withVirtualTime() has ended`,
      );
    }
  }

  #reset(): void {
    this.#signature = "";
    this.#quietTurns = 0;
    this.#confirmed = false;
  }

  #kick(): void {
    if (this.#disposed || this.#scheduled !== undefined) return;
    this.#fast();
  }

  #fast(): void {
    this.#scheduled = "fast";
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#scheduled = "turn";
      this.#turn();
    });
  }

  #slow(ms: number): void {
    this.#scheduled = "slow";
    this.#timeout = globalThis.setTimeout(() => {
      this.#timeout = undefined;
      this.#scheduled = "turn";
      this.#confirmed = true;
      this.#turn();
    }, ms) as unknown as number;
  }

  // One look at the world after the host had a turn: run what is due, or
  // count quiet turns until it is safe to jump.
  #turn(): void {
    if (this.#disposed) {
      this.#scheduled = undefined;
      return;
    }
    const next = nextDeadline();
    if (next <= this.#now) {
      runDue();
      this.#reset();
      this.#fast();
      return;
    }
    const advancing = this.#advanceTo !== undefined;
    if (!advancing && (next === Infinity || this.#threshold === Infinity)) {
      this.#reset();
      this.#scheduled = undefined;
      return; // nothing to jump to; the heap's wake() starts us again
    }
    const signature = `${next}|${pendingTimers()}|${waitCount}`;
    if (signature !== this.#signature) {
      this.#signature = signature;
      this.#quietTurns = 0;
      this.#confirmed = false;
      this.#quietSince = performance.now();
      this.#fast();
      return;
    }
    if (++this.#quietTurns < QUIET_TURNS) {
      this.#fast();
      return;
    }
    const threshold = advancing ? 0 : this.#threshold;
    const quietFor = performance.now() - this.#quietSince;
    if (!this.#confirmed || quietFor < threshold) {
      this.#slow(Math.max(0, threshold - quietFor));
      return;
    }
    // Real work in flight (a worker, subprocess or remote call) will wake a
    // task on the real clock: never jump past it, look again shortly.
    if (realWorkInFlight() > 0) {
      this.#slow(REAL_WORK_POLL_MS);
      return;
    }
    // Every task is blocked: move time.
    this.#reset();
    if (advancing && next > this.#advanceTo!) {
      this.#now = this.#advanceTo!;
      this.#advanceTo = undefined;
      const done = this.#advanced!;
      this.#advanced = undefined;
      done();
      if (next !== Infinity && this.#threshold !== Infinity) this.#fast();
      else this.#scheduled = undefined;
      return;
    }
    this.#now = next;
    runDue();
    this.#fast();
  }
}

function checkThreshold(ms: unknown, what: string): number {
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(
      `withVirtualTime(): ${what} must be a number of milliseconds, got ${
        show(ms)
      }`,
    );
  }
  if (ms < 0) {
    throw new RangeError(
      `withVirtualTime(): ${what} must not be negative, got ${ms}`,
    );
  }
  return ms;
}

/**
 * Runs `fn` with every aio timer on a {@linkcode VirtualClock} that jumps to
 * the next deadline as soon as every task is blocked: a test of a one-hour
 * timeout takes milliseconds, and the order of events depends only on the
 * deadlines. Works with `run()` inside `fn` or with aio calls made
 * directly. When `fn` settles the real clock is back and no host timer is
 * left; aio timers `fn` left pending are an error (leave work running in a
 * `run()` or task group, which cancels it).
 *
 * Unlike `FakeTime` from `@std/testing/time`, it knows when tasks are
 * blocked, so nobody has to tick the clock by hand.
 *
 * Mirrors Trio's `MockClock(autojump_threshold=0)` and Kotlin's `runTest`.
 *
 * @param fn The test body; receives the clock.
 * @param options `autojumpThresholdMs`.
 * @returns What `fn` returned.
 * @throws {TypeError} If `fn` is not a function or an option is not a number.
 * @throws {RangeError} If `autojumpThresholdMs` is negative.
 * @throws {InvalidStateError} If virtual time is already on, or `fn` left aio timers pending.
 *
 * @example
 * ```ts
 * import { withVirtualTime } from "@seed/aio/testing";
 * import { run, sleep, timeout, TimeoutError } from "@seed/aio";
 *
 * await withVirtualTime(async (clock) => {
 *   await run(async () => {
 *     // An hour-long timeout, in a few milliseconds of real time.
 *     const error = await timeout(3_600_000, () => sleep(7_200_000))
 *       .catch((e) => e);
 *     console.log(error instanceof TimeoutError); // true
 *   });
 *   console.log(clock.elapsed); // 3600000
 * });
 * ```
 */
export async function withVirtualTime<T>(
  fn: (clock: VirtualClock) => T | PromiseLike<T>,
  options?: VirtualTimeOptions,
): Promise<T> {
  checkFunction(fn, "withVirtualTime()");
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new TypeError(
      `withVirtualTime(): options must be an object, got ${show(options)}`,
    );
  }
  const threshold = checkThreshold(
    options?.autojumpThresholdMs ?? 0,
    "autojumpThresholdMs",
  );
  if (active) {
    throw new InvalidStateError(
      "withVirtualTime() cannot be nested: virtual time is already on",
    );
  }
  active = true;
  const before = pendingTimers();
  const clock = new VirtualClock(now(), threshold);
  const unwatch = watchWaits();
  const restore = installClock(clock, clock);
  let result: T;
  try {
    result = await fn(clock);
  } finally {
    clock._dispose();
    restore();
    unwatch();
    active = false;
  }
  const left = pendingTimers() - before;
  if (left > 0) {
    throw new InvalidStateError(
      `withVirtualTime(): ${left} aio timer(s) were left pending: run the work in run() or a task group, or await it`,
    );
  }
  return result;
}
