/**
 * The public types that several parts share (Effection's `lib/types.ts`):
 * run options, debug mode's warnings and the trace format. Declared here,
 * not beside the functions that take them, so that no file imports another
 * only for a type.
 *
 * @module
 */

import type { Task, TaskObserver } from "./task.ts";

/**
 * Options of debug mode (`run(main, { debug: true })`, or `AIO_DEBUG=1` in
 * the environment).
 */
export interface DebugOptions {
  /**
   * Warn when the event loop is blocked longer than this many milliseconds,
   * naming the task that ran. Default 100.
   */
  blockedThresholdMs?: number;
  /** Receives each warning instead of it being printed to stderr. */
  onWarning?: (warning: DebugWarning) => void;
}

/** A problem debug mode noticed. */
export interface DebugWarning {
  /**
   * `"blocked"`: the event loop did not come back for longer than the
   * threshold. `"unawaited"`: a task returned while a wait it began (a
   * `sleep`, a lock, a Task…) was still pending: usually a missing `await`.
   * `"late"`: a `timeout`/`waitFor`/`moveOnAfter` body kept running past its
   * deadline (it awaited a plain promise) and its result was discarded.
   */
  kind: "blocked" | "unawaited" | "late";
  /** A one-line description, with the task's creation site. */
  message: string;
  /** The task at fault, when known. */
  task: Task<unknown> | undefined;
  /** For `"blocked"`: how long the loop was blocked, in milliseconds. */
  durationMs?: number;
}

/** One event of the Chrome Trace Event format, as `run`'s `trace` records it. */
export interface TraceEvent {
  /** The task's name, `"await"`, `"start"`, `"cancel"`, `"spawn"` or metadata. */
  name: string;
  /** `"task"`, `"await"` or `"spawn"`. */
  cat?: string;
  /** Phase: `B`/`E` slices, `i` instants, `s`/`f` flows, `M` metadata. */
  ph: string;
  /** Microseconds since the run began, on aio's clock. */
  ts: number;
  /** Always 1. */
  pid: number;
  /** The lane: one per task (0 for the run itself). */
  tid: number;
  /** Flow id, linking a spawn in the parent's lane to the child's lane. */
  id?: number;
  /** Flow binding point. */
  bp?: string;
  /** Instant scope. */
  s?: string;
  /** Details: `task`, `parent` (lane), `scope`, `outcome`, `what`, `reason`. */
  args?: Record<string, unknown>;
}

/** A trace in the Chrome Trace Event format (open it in Perfetto). */
export interface ChromeTrace {
  /** The events, in the order they happened. */
  traceEvents: TraceEvent[];
  /** How viewers show time. */
  displayTimeUnit: "ms";
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Cancels `main` when aborted (its reason travels in the CancelledError). */
  signal?: AbortSignal;
  /**
   * Called for each task whose failure nobody observed (not awaited, not
   * collected by a group) by the time `run` ends; by default they are
   * printed to stderr ("exception was never retrieved").
   */
  onUnobservedError?: (error: unknown, task: Task<unknown>) => void;
  /**
   * Debug mode: warns when the loop is blocked (naming the task), when a
   * task returns without awaiting work it started, and keeps each task's
   * creation stack (shown in reports and the task tree). Also turned on by
   * the environment variable `AIO_DEBUG=1`; `false` overrides it.
   */
  debug?: boolean | DebugOptions;
  /**
   * Records spawns, starts, cancels, settles and waits in the Chrome Trace
   * Event format: a file path (written when the run ends) or a function
   * that receives the trace. Also turned on by `AIO_TRACE=path`.
   */
  trace?: string | ((trace: ChromeTrace) => void);
  /** @internal Debug and trace hooks. */
  observer?: TaskObserver;
}
