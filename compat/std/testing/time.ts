/**
 * npm-only stand-in for `@std/testing/time`: `FakeTime` with @std's API and
 * semantics, over the timer queue and `Date` of `@sinonjs/fake-timers`.
 *
 * Like @std's FakeTime it replaces exactly `Date`, `setTimeout`,
 * `clearTimeout`, `setInterval`, `clearInterval` and `AbortSignal.timeout`;
 * `performance.now`, `queueMicrotask` and promises stay real. The globals are
 * wired here rather than by fake-timers' `install`, whose set of faked names
 * and timing rules differ from @std's in small ways that tests notice.
 *
 * @module
 */

import { type Clock, withGlobal } from "@sinonjs/fake-timers";

/** Options for {@linkcode FakeTime.delay}. */
export interface DelayOptions {
  /** Aborting it rejects the delay with an `AbortError`. */
  signal?: AbortSignal;
  /** Accepted for @std compatibility; real-time delays here always persist. */
  persistent?: boolean;
}

/** Options for {@linkcode FakeTime}. */
export interface FakeTimeOptions {
  /**
   * How fast fake time follows real time on its own (1 = real speed). By
   * default (0) fake time moves only through `tick`, `next`, `now = …`.
   */
  advanceRate: number;
  /** How often, in real milliseconds, it advances when `advanceRate` is set. */
  advanceFrequency?: number;
}

/** An operation that the current state of fake time does not allow. */
export class TimeError extends Error {
  /** @param message What was not allowed. */
  constructor(message: string) {
    super(message);
    this.name = "TimeError";
  }
}

// The real functions, captured before anything is faked.
const real = {
  Date: globalThis.Date,
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  abortSignalTimeout: AbortSignal.timeout,
};

// Inspects the real globals once, while nothing is faked yet.
const fakeTimers = withGlobal(globalThis);

let current: FakeTime | undefined;
let active: Clock | undefined;

type Callback = (...args: unknown[]) => void;

function normalizeDelay(delay: unknown, repeat: boolean): number {
  // @std floors delays, and an interval repeats at least every millisecond.
  return Math.max(repeat ? 1 : 0, Math.floor(Number(delay) || 0));
}

function addTimer(
  name: "setTimeout" | "setInterval",
  callback: unknown,
  delay: unknown,
  args: unknown[],
): unknown {
  if (typeof callback !== "function") {
    throw new TimeError(
      `FakeTime does not support non-function callbacks to ${name}`,
    );
  }
  const clock = active;
  if (!clock) {
    const what = name === "setTimeout" ? "timeout" : "interval";
    throw new TimeError(`Cannot set ${what}: time is not faked`);
  }
  // fake-timers pushes a 0 ms timer made inside a tick 1 ms later; @std's
  // FakeTime runs it at the current time, still within the same tick.
  const duringTick = clock.duringTick;
  clock.duringTick = false;
  try {
    const ms = normalizeDelay(delay, name === "setInterval");
    return name === "setTimeout"
      ? clock.setTimeout(callback as Callback, ms, ...args)
      : clock.setInterval(callback as Callback, ms, ...args);
  } finally {
    clock.duringTick = duringTick;
  }
}

function clearTimer(name: "timeout" | "interval", id: unknown): void {
  const clock = active;
  if (!clock) throw new TimeError(`Cannot clear ${name}: time is not faked`);
  // Ids this clock never issued (say, real timers made before faking) are
  // ignored, as @std does; fake-timers would print a warning instead.
  const key = Number(id);
  if (id == null || !clock.timers?.has(key)) return;
  clock.clearTimeout(key);
}

function fakeSetTimeout(
  callback: unknown,
  delay?: unknown,
  ...args: unknown[]
): unknown {
  return addTimer("setTimeout", callback, delay, args);
}

function fakeSetInterval(
  callback: unknown,
  delay?: unknown,
  ...args: unknown[]
): unknown {
  return addTimer("setInterval", callback, delay, args);
}

function fakeClearTimeout(id?: unknown): void {
  clearTimer("timeout", id);
}

function fakeClearInterval(id?: unknown): void {
  clearTimer("interval", id);
}

function fakeAbortSignalTimeout(ms: number): AbortSignal {
  const controller = new AbortController();
  fakeSetTimeout(() => {
    controller.abort(new DOMException("Signal timed out.", "TimeoutError"));
  }, ms);
  return controller.signal;
}

function overrideGlobals(clock: Clock): void {
  globalThis.Date = clock.Date as DateConstructor;
  globalThis.setTimeout = fakeSetTimeout as typeof globalThis.setTimeout;
  globalThis.clearTimeout = fakeClearTimeout as typeof globalThis.clearTimeout;
  globalThis.setInterval = fakeSetInterval as typeof globalThis.setInterval;
  globalThis.clearInterval =
    fakeClearInterval as typeof globalThis.clearInterval;
  AbortSignal.timeout = fakeAbortSignalTimeout;
}

function restoreGlobals(): void {
  globalThis.Date = real.Date;
  globalThis.setTimeout = real.setTimeout;
  globalThis.clearTimeout = real.clearTimeout;
  globalThis.setInterval = real.setInterval;
  globalThis.clearInterval = real.clearInterval;
  AbortSignal.timeout = real.abortSignalTimeout;
}

function abortError(): DOMException {
  return new DOMException("Delay was aborted.", "AbortError");
}

/**
 * Replaces `Date`, the timer functions and `AbortSignal.timeout` with fakes
 * driven by this object, until {@linkcode FakeTime.restore} (or the end of a
 * `using` block).
 */
export class FakeTime {
  #clock: Clock;
  #start: number;
  #advanceId: ReturnType<typeof setInterval> | undefined;

  /**
   * Starts faking time.
   *
   * @param start The fake time to start at (default: the real time now).
   * @param options Let fake time advance on its own.
   * @throws {TimeError} If time is already faked.
   * @throws {TypeError} If `start` is not a valid time.
   */
  constructor(
    start?: number | string | Date | null,
    options?: FakeTimeOptions,
  ) {
    if (current) {
      throw new TimeError("Cannot construct FakeTime: time is already faked");
    }
    const startedAt = start instanceof Date
      ? start.valueOf()
      : typeof start === "number"
      ? Math.floor(start)
      : typeof start === "string"
      ? new real.Date(start).valueOf()
      : real.Date.now();
    if (Number.isNaN(startedAt)) {
      throw new TypeError(
        `Cannot construct FakeTime: invalid start time ${startedAt}`,
      );
    }
    this.#start = startedAt;
    this.#clock = fakeTimers.createClock(startedAt);
    active = this.#clock;
    current = this;
    overrideGlobals(this.#clock);

    const rate = Math.max(0, options?.advanceRate ?? 0);
    const frequency = Math.max(0, options?.advanceFrequency ?? 10);
    this.#advanceId = rate > 0
      ? real.setInterval(() => this.tick(rate * frequency), frequency)
      : undefined;
  }

  /** Restores real time; lets `using time = new FakeTime()` clean up. */
  [Symbol.dispose](): void {
    this.restore();
  }

  /**
   * Restores real time.
   *
   * @throws {TimeError} If time is not faked.
   */
  static restore(): void {
    if (!current) {
      throw new TimeError("Cannot restore time: time is already restored");
    }
    current.restore();
  }

  /**
   * Runs `callback` with the real globals back in place, faking them again
   * once it returns or its promise settles.
   *
   * @param callback The function to run in real time.
   * @param args Its arguments.
   * @returns What it returns.
   */
  static restoreFor<T>(
    callback: (...args: never[]) => Promise<T> | T,
    ...args: unknown[]
  ): Promise<T> {
    const clock = active;
    if (!clock) {
      return Promise.reject(
        new TimeError("Cannot restore time: time is not faked"),
      );
    }
    restoreGlobals();
    try {
      const result = (callback as (...args: unknown[]) => Promise<T> | T)(
        ...args,
      );
      if (result instanceof Promise) {
        return result.finally(() => overrideGlobals(clock));
      }
      overrideGlobals(clock);
      return Promise.resolve(result);
    } catch (error) {
      overrideGlobals(clock);
      return Promise.reject(error);
    }
  }

  /** The fake time, in milliseconds since the epoch. */
  get now(): number {
    return this.#clock.now;
  }

  /**
   * Moves fake time forward to `value`, running every timer due on the way,
   * each at its own due time. If a callback throws, time stops there.
   *
   * @throws {RangeError} If `value` is in the past.
   */
  set now(value: number) {
    const clock = this.#clock;
    if (value < clock.now) {
      throw new RangeError(
        `Cannot set current time in the past, time must be >= ${clock.now}: received ${value}`,
      );
    }
    // One timer at a time (fake-timers' own tick would run past a throwing
    // callback and rethrow at the end).
    for (;;) {
      const timer = clock.timerHeap?.peek();
      if (!timer || timer.callAt === undefined || timer.callAt > value) break;
      clock.next();
    }
    clock.now = value;
  }

  /** The fake time this object started at. */
  get start(): number {
    return this.#start;
  }

  /**
   * Waits `ms` of real time; fake time does not move.
   *
   * @param ms Real milliseconds to wait.
   * @param options An abort signal.
   */
  async delay(ms: number, options: DelayOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) throw abortError();
    await new Promise<void>((resolve, reject) => {
      const abort = (): void => {
        real.clearTimeout(timer);
        reject(abortError());
      };
      const timer = real.setTimeout(() => {
        signal?.removeEventListener("abort", abort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Lets every pending microtask (and real I/O callback) run. */
  async runMicrotasks(): Promise<void> {
    await this.delay(0);
  }

  /**
   * Moves fake time forward by `ms`, running the timers due on the way.
   *
   * @param ms Milliseconds to advance.
   */
  tick(ms = 0): void {
    this.now += ms;
  }

  /**
   * Runs pending microtasks, then moves fake time forward by `ms`.
   *
   * @param ms Milliseconds to advance.
   */
  async tickAsync(ms = 0): Promise<void> {
    await this.runMicrotasks();
    this.now += ms;
  }

  /**
   * Moves fake time to the next due timer and runs the timers due then.
   *
   * @returns Whether there was a timer to run.
   */
  next(): boolean {
    const timer = this.#clock.timerHeap?.peek();
    if (!timer || timer.callAt === undefined) return false;
    this.now = timer.callAt;
    return true;
  }

  /**
   * Runs pending microtasks, then does {@linkcode FakeTime.next}.
   *
   * @returns Whether there was a timer to run.
   */
  async nextAsync(): Promise<boolean> {
    await this.runMicrotasks();
    return this.next();
  }

  /** Runs timers until none is left (forever, while an interval is set). */
  runAll(): void {
    while (this.next()) {
      // Each turn runs the timers due at the next due time.
    }
  }

  /** Like {@linkcode FakeTime.runAll}, running microtasks before each timer. */
  async runAllAsync(): Promise<void> {
    while (await this.nextAsync()) {
      // Each turn runs microtasks, then the timers due at the next due time.
    }
  }

  /**
   * Restores the real `Date`, timer functions and `AbortSignal.timeout`.
   *
   * @throws {TimeError} If time is already restored.
   */
  restore(): void {
    if (!current) {
      throw new TimeError("Cannot restore time: time is already restored");
    }
    current = undefined;
    active = undefined;
    restoreGlobals();
    if (this.#advanceId !== undefined) real.clearInterval(this.#advanceId);
  }
}
