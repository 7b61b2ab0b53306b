// Debug mode and tracing for one run, and the hook on cancellation points
// they share with virtual time. Nothing here runs unless a run asks for it
// (`debug`, `trace`, AIO_DEBUG, AIO_TRACE) or virtual time is on: the hot
// path pays one `observer?.` check per task and one property read per wait.

import {
  type Scope,
  type ScopeLoop,
  waitHook,
  type WaitKind,
} from "./_scope.ts";
import { now } from "./_timers.ts";
import { printError } from "./_report.ts";
import type { DebugOptions, DebugWarning, RunOptions } from "../types.ts";
import { Task, type TaskObserver } from "../task.ts";
import {
  describeWait,
  formatDuration,
  Tracer,
  type WaitRecord,
} from "./_trace.ts";

const libDir = new URL("..", import.meta.url).href;

/** The user's frames of a stack (aio's own frames dropped). */
export function userFrames(stack: string | undefined, max = 12): string[] {
  if (stack === undefined) return [];
  const frames: string[] = [];
  for (const line of stack.split("\n").slice(1)) {
    if (line.includes(libDir) || line.includes("ext:")) continue;
    frames.push(line.trim().replace(/^at /, ""));
    if (frames.length >= max) break;
  }
  return frames;
}

// The default 10 frames leave about 6 of the user's below aio's own; a
// deeper capture costs more per task, and debug mode pays it per task.
function captureStack(): Error {
  return new Error("created here");
}

// Capturing a stack is cheap; formatting it (with source maps) is not, so
// `creationStack` is formatted the first time someone reads it.
function lazyCreationStack(task: Task<unknown>): void {
  const site = captureStack();
  task.creationStack = () => userFrames(site.stack).join("\n");
}

/** The location of a frame (`file:line:column`), without the function name. */
export function frameLocation(frame: string | undefined): string | undefined {
  if (frame === undefined || frame === "") return undefined;
  const match = /\(([^()]*)\)$/.exec(frame);
  return match === null ? frame.replace(/^async /, "") : match[1];
}

/** Where a task was created: its first user frame (debug mode only). */
export function creationSite(task: Task<unknown>): string | undefined {
  const stack = task.creationStack;
  return stack === undefined
    ? undefined
    : frameLocation(stack.split("\n", 1)[0]);
}

// ---------------------------------------------------------------------------
// The shared hook on cancellation points.

const runs = new Map<ScopeLoop, RunInstruments>();
let virtualUsers = 0;

/** Bumped at every wait that begins while the hook is on (virtual time watches it). */
export let waitCount = 0;

function hook(
  scope: Scope,
  kind: WaitKind,
  detail: unknown,
): (() => void) | undefined {
  waitCount++;
  const loop = scope.loop;
  if (loop === undefined || runs.size === 0) return undefined;
  return runs.get(loop)?.wait(scope, kind, detail);
}

function updateHook(): void {
  waitHook.current = runs.size > 0 || virtualUsers > 0 ? hook : undefined;
}

/** Turns the wait hook on for virtual time; returns the function that turns it off. */
export function watchWaits(): () => void {
  virtualUsers++;
  updateHook();
  let on = true;
  return () => {
    if (!on) return;
    on = false;
    virtualUsers--;
    updateHook();
  };
}

/** The debug-mode instruments of the run `scope` belongs to, if debug mode is on. */
export function debugRun(scope: Scope | undefined): RunInstruments | undefined {
  const loop = scope?.loop;
  if (loop === undefined || runs.size === 0) return undefined;
  const instruments = runs.get(loop);
  return instruments?.debugging ? instruments : undefined;
}

/** The wait a task is suspended in, if a debug run is watching it. */
export function currentWait(
  task: Task<unknown>,
): WaitRecord | undefined {
  const loop = task.scope.loop;
  return loop === undefined ? undefined : runs.get(loop)?.currentWait(task);
}

// ---------------------------------------------------------------------------
// Debug mode.

/** Blocked-loop detection, unawaited work, creation stacks. */
class DebugMonitor {
  readonly #threshold: number;
  readonly #report: (warning: DebugWarning) => void;
  readonly #heartbeat: number;
  // The last moment aio saw code run, and whose: a gap between two marks
  // longer than the threshold is a stretch the loop never came back.
  #lastMark = performance.now();
  #lastTask: Task<unknown> | undefined;
  #lastWasStart = false;

  constructor(options: DebugOptions) {
    this.#threshold = options.blockedThresholdMs ?? 100;
    const onWarning = options.onWarning;
    this.#report = onWarning ?? ((warning) => console.warn(warning.message));
    // The heartbeat is a mark too, so an idle loop never shows a long gap.
    this.#heartbeat = globalThis.setInterval(
      () => this.mark(undefined, false),
      Math.max(1, this.#threshold / 2),
    ) as unknown as number;
    try {
      Deno.unrefTimer(this.#heartbeat);
    } catch {
      // Not a Deno timer (faked): it is cleared when the run ends anyway.
    }
  }

  stop(): void {
    globalThis.clearInterval(this.#heartbeat);
  }

  /**
   * Notes that `task`'s code runs now: `start` when it begins running
   * (started, resumed), otherwise when it is about to stop (a wait begins,
   * it settled).
   */
  mark(
    task: Task<unknown> | undefined,
    start: boolean,
    thenable = false,
  ): void {
    const t = performance.now();
    const gap = t - this.#lastMark;
    if (gap > this.#threshold) {
      // A wait that begins names the task that ran, except an await of a
      // Task or Future: JavaScript calls its then() a turn later, so other
      // tasks may have started (and blocked) in between: blame the last one.
      const culprit = !start && !(thenable && this.#lastWasStart)
        ? task
        : this.#lastWasStart
        ? this.#lastTask
        : undefined;
      this.#blocked(gap, culprit);
    }
    this.#lastMark = t;
    this.#lastTask = task;
    this.#lastWasStart = start;
  }

  #blocked(ms: number, task: Task<unknown> | undefined): void {
    const who = task === undefined
      ? "code outside any aio task"
      : `${task.describe()}${siteSuffix(task)}`;
    this.#warn({
      kind: "blocked",
      message: `aio: the event loop was blocked for ${
        formatDuration(ms)
      } by ${who}`,
      task,
      durationMs: ms,
    });
  }

  unawaited(task: Task<unknown>, pending: WaitRecord[]): void {
    const what = pending.map((record) => {
      const site = record.site === undefined
        ? undefined
        : frameLocation(userFrames(record.site.stack, 1)[0]);
      return `${describeWait(record)}${
        site === undefined ? "" : ` at ${site}`
      }`;
    });
    this.#warn({
      kind: "unawaited",
      message: `aio: ${task.describe()}${
        siteSuffix(task)
      } returned without awaiting work it started: ${
        what.join("; ")
      } (missing await?)`,
      task,
    });
  }

  late(
    task: Task<unknown> | undefined,
    what: string,
    site: string | undefined,
  ): void {
    const who = task === undefined
      ? "code outside any aio task"
      : `${task.describe()}${siteSuffix(task)}`;
    this.#warn({
      kind: "late",
      message: `aio: ${what} in ${who}${
        site === undefined ? "" : ` at ${site}`
      } kept running past its deadline (it awaited something aio cannot interrupt, such as a plain promise); its late result was discarded`,
      task,
    });
  }

  #warn(warning: DebugWarning): void {
    try {
      this.#report(warning);
    } catch (error) {
      // A throwing onWarning never kills the process: reported once.
      printError("Exception in debug mode's onWarning", error);
    }
  }
}

function siteSuffix(task: Task<unknown>): string {
  const site = creationSite(task);
  return site === undefined ? "" : ` (created at ${site})`;
}

// ---------------------------------------------------------------------------
// One run's instruments: the observer its nursery carries and the wait hook.

/** Debug mode and/or a trace for one run. */
export class RunInstruments implements TaskObserver {
  readonly #loop: ScopeLoop;
  readonly #debug: DebugMonitor | undefined;
  readonly #tracer: Tracer | undefined;
  readonly #trace: RunOptions["trace"];
  readonly #waits = new Map<Task<unknown>, WaitRecord[]>();

  constructor(
    loop: ScopeLoop,
    debug: DebugOptions | undefined,
    trace: RunOptions["trace"],
  ) {
    this.#loop = loop;
    this.#debug = debug === undefined ? undefined : new DebugMonitor(debug);
    this.#trace = trace;
    this.#tracer = trace === undefined ? undefined : new Tracer();
    runs.set(loop, this);
    updateHook();
  }

  spawned(task: Task<unknown>): void {
    if (this.#debug !== undefined) lazyCreationStack(task);
    this.#tracer?.spawned(task);
  }

  started(task: Task<unknown>): void {
    this.#debug?.mark(task, true);
    this.#tracer?.started(task);
  }

  cancelled(task: Task<unknown>, reason: unknown): void {
    this.#tracer?.cancelled(task, reason);
  }

  settled(task: Task<unknown>): void {
    const debug = this.#debug;
    if (debug !== undefined) {
      debug.mark(task, false);
      const pending = this.#waits.get(task)?.filter((w) => !w.ended);
      if (pending !== undefined && pending.length > 0) {
        debug.unawaited(task, pending);
      }
    }
    this.#waits.delete(task);
    this.#tracer?.settled(task);
  }

  /** Whether debug mode is on for this run. */
  get debugging(): boolean {
    return this.#debug !== undefined;
  }

  /** Debug mode: a timed body returned after its deadline. */
  late(
    task: Task<unknown> | undefined,
    what: string,
    site: string | undefined,
  ): void {
    this.#debug?.late(task, what, site);
  }

  currentWait(task: Task<unknown>): WaitRecord | undefined {
    const waits = this.#waits.get(task);
    if (waits === undefined) return undefined;
    for (let i = waits.length - 1; i >= 0; i--) {
      if (!waits[i].ended) return waits[i];
    }
    return undefined;
  }

  wait(
    scope: Scope,
    kind: WaitKind,
    detail: unknown,
  ): (() => void) | undefined {
    const task = scope.task;
    if (!(task instanceof Task) || task.done()) return undefined;
    const debug = this.#debug;
    const record: WaitRecord = {
      task,
      kind,
      detail,
      since: now(),
      site: debug === undefined ? undefined : captureStack(),
      ended: false,
    };
    let waits = this.#waits.get(task);
    if (waits === undefined) this.#waits.set(task, waits = []);
    else if (waits.length > 8) {
      // Keep the list short: only the pending ones matter.
      waits = waits.filter((w) => !w.ended);
      this.#waits.set(task, waits);
    }
    waits.push(record);
    debug?.mark(task, false, kind === "future");
    this.#tracer?.waitStarted(record);
    return () => {
      if (record.ended) return;
      record.ended = true;
      this.#tracer?.waitEnded(record);
      debug?.mark(task, true);
    };
  }

  /** Stops the heartbeat, writes the trace. */
  async finish(): Promise<void> {
    runs.delete(this.#loop);
    updateHook();
    this.#debug?.stop();
    const tracer = this.#tracer;
    if (tracer === undefined) return;
    const trace = tracer.finish();
    const sink = this.#trace;
    try {
      if (typeof sink === "function") sink(trace);
      else if (typeof sink === "string") {
        await Deno.writeTextFile(sink, JSON.stringify(trace));
      }
    } catch (error) {
      console.error(`aio: could not write the trace:`, error);
    }
  }
}

function envValue(name: string): string | undefined {
  try {
    const status = Deno.permissions.querySync?.({
      name: "env",
      variable: name,
    });
    if (status !== undefined && status.state !== "granted") return undefined;
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Makes the instruments `options` (or AIO_DEBUG / AIO_TRACE) ask for, or
 * `undefined` (the common case: nothing to pay).
 */
export function startInstruments(
  options: RunOptions | undefined,
  loop: ScopeLoop,
): RunInstruments | undefined {
  let debug = options?.debug;
  let trace = options?.trace;
  if (debug === undefined) {
    const flag = envValue("AIO_DEBUG");
    debug = flag !== undefined && flag !== "" && flag !== "0";
  }
  if (trace === undefined) {
    const path = envValue("AIO_TRACE");
    if (path !== undefined && path !== "") trace = path;
  }
  if (debug === false && trace === undefined) return undefined;
  return new RunInstruments(
    loop,
    debug === false ? undefined : debug === true ? {} : debug,
    trace,
  );
}

/** Validates the debug and trace options of `run`. */
export function checkInstrumentOptions(
  options: RunOptions | undefined,
  what: string,
): void {
  const debug = options?.debug;
  if (debug !== undefined && typeof debug !== "boolean") {
    if (debug === null || typeof debug !== "object") {
      throw new TypeError(
        `${what}: debug must be a boolean or an object, got ${typeof debug}`,
      );
    }
    const ms = debug.blockedThresholdMs;
    if (ms !== undefined && typeof ms !== "number") {
      throw new TypeError(
        `${what}: blockedThresholdMs must be a number, got ${typeof ms}`,
      );
    }
    if (ms !== undefined && !(ms > 0)) {
      throw new RangeError(
        `${what}: blockedThresholdMs must be a positive number, got ${
          String(ms)
        }`,
      );
    }
    if (
      debug.onWarning !== undefined && typeof debug.onWarning !== "function"
    ) {
      throw new TypeError(`${what}: onWarning must be a function`);
    }
  }
  const trace = options?.trace;
  if (
    trace !== undefined && typeof trace !== "string" &&
    typeof trace !== "function"
  ) {
    throw new TypeError(
      `${what}: trace must be a file path or a function, got ${typeof trace}`,
    );
  }
}
