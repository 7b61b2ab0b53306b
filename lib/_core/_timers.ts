// Every aio deadline (sleep, timeouts, callLater, idle timeouts) lives in one
// min-heap driven by a single host timer: a host timer costs 11–16 µs and
// about 4 KB, more than a whole task, so 100k sleeps must not mean 100k
// `setTimeout`s. The host functions are looked up on `globalThis` at call
// time so that `FakeTime` from `@std/testing/time` drives aio as well.

/** A source of time in milliseconds; swapped for virtual time in tests. */
export interface Clock {
  /** The current time, in milliseconds on this clock's monotonic scale. */
  now(): number;
}

import { clearImmediate, setImmediate } from "node:timers";
import { printError } from "./_report.ts";

const RealDate = Date;
const epochOffset = RealDate.now() - performance.now();

/**
 * The default clock: monotonic `performance.now()` on the `Date.now()` scale,
 * except while `Date` is faked (FakeTime), when the fake wall clock is used
 * so that ticking fake time moves aio deadlines too.
 */
export const hostClock: Clock = {
  now(): number {
    return globalThis.Date === RealDate
      ? performance.now() + epochOffset
      : Date.now();
  },
};

let clock: Clock = hostClock;

const MAX_HOST_DELAY = 2 ** 31 - 1;

/** The current time on aio's clock (monotonic ms). */
export function now(): number {
  return clock.now();
}

/** A scheduled callback; pass it to {@linkcode cancelTimer} to drop it. */
export interface Timer {
  /** When it is due, on aio's clock. */
  when: number;
  /** Tie-breaker so equal deadlines fire in scheduling order. */
  seq: number;
  /** Position in the heap, or -1 once fired or cancelled. */
  index: number;
  callback: () => void;
}

const heap: Timer[] = [];
let seq = 0;
let hostHandle: number | undefined;
// The host functions that made hostHandle: FakeTime may swap the globals
// while a host timer is pending, and each handle belongs to its own maker.
let hostSet: typeof setTimeout | undefined;
let hostClear: typeof clearTimeout | undefined;
let hostWhen = Infinity;
let hostDriver: HostDriver | undefined;

/**
 * Something other than the host's `setTimeout` that decides when due timers
 * fire (virtual time). `wake(when)` is told the earliest deadline whenever it
 * changes, or `Infinity` when none is left.
 */
export interface HostDriver {
  wake(when: number): void;
}

/**
 * Replaces the clock and the driver (virtual time); returns a function that
 * restores the previous ones.
 */
export function installClock(
  newClock: Clock,
  driver: HostDriver,
): () => void {
  const previous = { clock, hostDriver };
  clearHost();
  clock = newClock;
  hostDriver = driver;
  arm();
  return () => {
    hostDriver?.wake(Infinity);
    clock = previous.clock;
    hostDriver = previous.hostDriver;
    arm();
  };
}

/** True while a virtual clock (`withVirtualTime`) replaces the host clock. */
export function isVirtualClock(): boolean {
  return clock !== hostClock;
}

/** Number of pending timers (for tests and the task tree). */
export function pendingTimers(): number {
  return heap.length;
}

/** The earliest deadline pending, or `Infinity`. */
export function nextDeadline(): number {
  return heap.length > 0 ? heap[0].when : Infinity;
}

/** Schedules `callback` to run once aio's clock reaches `when`. */
export function schedule(when: number, callback: () => void): Timer {
  return insert({ when, seq: 0, index: -1, callback });
}

/**
 * Schedules a timer object made by the caller (its `callback` is called as
 * a method), so that a wait can be its own timer with no closure.
 */
export function insert<T extends Timer>(timer: T): T {
  timer.seq = seq++;
  timer.index = heap.length;
  heap.push(timer);
  siftUp(timer.index);
  if (timer.index === 0) arm();
  return timer;
}

/** Drops a timer that has not fired; a no-op for one that has. */
export function cancelTimer(timer: Timer): void {
  const i = timer.index;
  if (i < 0) return;
  timer.index = -1;
  const last = heap.pop()!;
  if (i < heap.length) {
    heap[i] = last;
    last.index = i;
    siftDown(i);
    siftUp(last.index);
  }
  if (i === 0) arm();
}

/** Moves a pending timer to a new deadline (keeps its identity). */
export function reschedule(timer: Timer, when: number): void {
  if (timer.index < 0) {
    timer.when = when;
    timer.index = heap.length;
    heap.push(timer);
    siftUp(timer.index);
  } else {
    const earlier = when < timer.when;
    timer.when = when;
    if (earlier) siftUp(timer.index);
    else siftDown(timer.index);
  }
  arm();
}

/** Runs every timer that is due now; returns how many ran. */
export function runDue(): number {
  const t = now();
  let count = 0;
  while (heap.length > 0 && heap[0].when <= t) {
    const timer = heap[0];
    cancelTimer(timer);
    count++;
    try {
      timer.callback();
    } catch (error) {
      // A timer callback belongs to aio itself; user callbacks (callLater)
      // are wrapped before they get here, so this is a bug worth surfacing,
      // loudly but without killing the process or the other timers.
      printError("Exception in a timer callback (a bug in aio)", error);
    }
  }
  arm();
  return count;
}

// Timers already due (sleep(0), checkpoint(), callSoon) go through an
// immediate: a host timer turn costs 1–2 ms here, an immediate a few µs.
// Under FakeTime (a faked Date) they stay on the faked setTimeout.
let immediate: ReturnType<typeof setImmediate> | undefined;

function fireImmediate(): void {
  immediate = undefined;
  runDue();
}

function fire(): void {
  hostHandle = undefined;
  hostWhen = Infinity;
  runDue();
}

function clearHost(): void {
  if (hostHandle !== undefined) {
    hostClear!(hostHandle);
    hostHandle = undefined;
  }
  hostWhen = Infinity;
}

// Points the single host timer at the earliest deadline, or clears it when
// the heap is empty so that no timer outlives the work that asked for it.
function arm(): void {
  const when = heap.length > 0 ? heap[0].when : Infinity;
  if (hostDriver) {
    hostDriver.wake(when);
    return;
  }
  if (when === Infinity && immediate !== undefined) {
    clearImmediate(immediate);
    immediate = undefined;
  }
  if (when <= now() && globalThis.Date === RealDate) {
    immediate ??= setImmediate(fireImmediate);
    return;
  }
  // A host timer already due no later than the new head is kept: it wakes a
  // little early and re-arms, which is cheaper than clear + set on every
  // cancelled head (the common case: a timeout whose work finished first).
  if (
    hostHandle !== undefined && when >= hostWhen && when !== Infinity &&
    hostSet === globalThis.setTimeout
  ) {
    return;
  }
  clearHost();
  if (when === Infinity) return;
  hostWhen = when;
  hostSet = globalThis.setTimeout;
  hostClear = globalThis.clearTimeout;
  // Hosts clamp delays above 2^31-1 ms to 1 ms: wake at the limit instead.
  hostHandle = hostSet(
    fire,
    Math.min(MAX_HOST_DELAY, Math.max(0, when - now())),
  ) as unknown as number;
}

function less(a: Timer, b: Timer): boolean {
  return a.when < b.when || (a.when === b.when && a.seq < b.seq);
}

function siftUp(i: number): void {
  const timer = heap[i];
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = heap[p];
    if (!less(timer, parent)) break;
    heap[i] = parent;
    parent.index = i;
    i = p;
  }
  heap[i] = timer;
  timer.index = i;
}

function siftDown(i: number): void {
  const n = heap.length;
  const timer = heap[i];
  while (true) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && less(heap[r], heap[l]) ? r : l;
    const child = heap[c];
    if (!less(child, timer)) break;
    heap[i] = child;
    child.index = i;
    i = c;
  }
  heap[i] = timer;
  timer.index = i;
}
