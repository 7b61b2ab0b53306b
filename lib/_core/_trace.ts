// Records a run in the Chrome Trace Event format (viewable in Perfetto or
// chrome://tracing): one lane (thread) per task, a slice from spawn to
// settle, nested slices for the waits at cancellation points, instants for
// start and cancel, and flow arrows from the parent task to each child.
// Timestamps are on aio's clock, so a trace taken under virtual time shows
// virtual time.

import { showValue } from "./_checks.ts";
import type { Scope } from "./_scope.ts";
import { now } from "./_timers.ts";
import { FutureState } from "../future.ts";
import type { ChromeTrace, TraceEvent } from "../types.ts";
import { Task } from "../task.ts";

/** A wait seen at a cancellation point (shared with debug mode). */
export interface WaitRecord {
  readonly task: Task<unknown>;
  readonly kind: string;
  readonly detail: unknown;
  /** When it began, on aio's clock. */
  readonly since: number;
  /** Where it was called from (debug mode only; formatted on demand). */
  readonly site: Error | undefined;
  /** Set once the awaited thing settled. */
  ended: boolean;
}

const PID = 1;

/** The task that owns the scope `task` was spawned in (undefined: the root). */
export function parentTask(task: Task<unknown>): Task<unknown> | undefined {
  const owner = task.scope.parent?.task;
  return owner instanceof Task ? owner : undefined;
}

/** Labels of the scopes between a task and its parent task ("TaskGroup"). */
export function scopePath(task: Task<unknown>): string[] {
  const labels: string[] = [];
  let scope: Scope | undefined = task.scope.parent;
  while (scope !== undefined && scope.task !== undefined) {
    if (scope.task.scope === scope) break; // the parent task's own scope
    labels.unshift(scope.label);
    scope = scope.parent;
  }
  return labels;
}

/** A short description of what a wait is waiting for. */
export function describeWait(record: WaitRecord): string {
  const detail = record.detail;
  switch (record.kind) {
    case "sleep": {
      // Told by the duration it was started with: an overdue sleep is still
      // a sleep, not a checkpoint.
      const { when, from } = detail as { when: number; from: number };
      const total = when - from;
      if (total <= 0) return "checkpoint";
      return `sleep (${formatDuration(Math.max(0, when - now()))} left)`;
    }
    case "worker":
      return describeDetail(detail) ?? "a worker call";
    case "process":
      return describeDetail(detail) ?? "a subprocess";
    case "remote":
      return describeDetail(detail) ?? "a remote call";
    case "stream":
      return describeDetail(detail) ?? "a stream read or write";
    case "http":
      return describeDetail(detail) ?? "an HTTP request";
    case "signal":
      return "a signal";
    case "future":
      return typeof (detail as { describe?: unknown }).describe === "function"
        ? (detail as { describe(): string }).describe()
        : "a Future";
    case "group":
      return `task group ${JSON.stringify((detail as Scope).label)}`;
    case "park":
      return "a lock, event, condition or queue";
    default:
      return "a promise";
  }
}

function describeDetail(detail: unknown): string | undefined {
  return typeof (detail as { describe?: unknown })?.describe === "function"
    ? (detail as { describe(): string }).describe()
    : undefined;
}

/** `1.2 s`, `15 ms`, `3 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Collects the events of one run. */
export class Tracer {
  readonly #events: TraceEvent[] = [];
  readonly #ids = new Map<Task<unknown>, number>();
  readonly #parents = new Map<number, number>();
  readonly #open = new Map<Task<unknown>, WaitRecord>();
  readonly #t0 = now();
  #nextId = 1;
  #flows = 0;

  #ts(): number {
    return Math.round((now() - this.#t0) * 1_000);
  }

  #tid(task: Task<unknown>): number {
    let id = this.#ids.get(task);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(task, id);
    }
    return id;
  }

  spawned(task: Task<unknown>): void {
    const tid = this.#tid(task);
    const ts = this.#ts();
    const parent = parentTask(task);
    const parentTid = parent === undefined ? 0 : this.#tid(parent);
    this.#parents.set(tid, parentTid);
    const events = this.#events;
    events.push({
      name: "thread_name",
      ph: "M",
      ts: 0,
      pid: PID,
      tid,
      args: { name: task.name },
    });
    events.push({
      name: task.name,
      cat: "task",
      ph: "B",
      ts,
      pid: PID,
      tid,
      args: {
        task: tid,
        parent: parentTid,
        scope: scopePath(task).join(" > "),
      },
    });
    if (parentTid !== 0) {
      const id = ++this.#flows;
      events.push({
        name: "spawn",
        cat: "spawn",
        ph: "s",
        ts,
        pid: PID,
        tid: parentTid,
        id,
      });
      events.push({
        name: "spawn",
        cat: "spawn",
        ph: "f",
        bp: "e",
        ts,
        pid: PID,
        tid,
        id,
      });
    }
  }

  started(task: Task<unknown>): void {
    this.#instant(task, "start", undefined);
  }

  cancelled(task: Task<unknown>, reason: unknown): void {
    this.#instant(task, "cancel", { reason: showValue(reason) });
  }

  settled(task: Task<unknown>): void {
    const tid = this.#ids.get(task);
    if (tid === undefined) return;
    const ts = this.#ts();
    if (this.#open.has(task)) {
      this.#open.delete(task);
      this.#events.push({
        name: "await",
        cat: "await",
        ph: "E",
        ts,
        pid: PID,
        tid,
        args: { unawaited: true },
      });
    }
    const state = task._state();
    const value = task._value();
    this.#events.push({
      name: task.name,
      cat: "task",
      ph: "E",
      ts,
      pid: PID,
      tid,
      args: {
        outcome: state === FutureState.FULFILLED
          ? "fulfilled"
          : state === FutureState.CANCELLED
          ? "cancelled"
          : "rejected",
        ...(state === FutureState.REJECTED ? { error: showValue(value) } : {}),
      },
    });
    this.#ids.delete(task);
  }

  // One await slice per task at a time: slices on one lane must nest, and a
  // task waiting on two things at once is simply "waiting" until the first
  // of them it began ends.
  waitStarted(record: WaitRecord): void {
    const tid = this.#ids.get(record.task);
    if (tid === undefined || this.#open.has(record.task)) return;
    this.#open.set(record.task, record);
    this.#events.push({
      name: "await",
      cat: "await",
      ph: "B",
      ts: this.#ts(),
      pid: PID,
      tid,
      args: { what: describeWait(record) },
    });
  }

  waitEnded(record: WaitRecord): void {
    if (this.#open.get(record.task) !== record) return;
    this.#open.delete(record.task);
    this.#events.push({
      name: "await",
      cat: "await",
      ph: "E",
      ts: this.#ts(),
      pid: PID,
      tid: this.#ids.get(record.task)!,
    });
  }

  /** Closes what is still open and returns the trace. */
  finish(): ChromeTrace {
    const events = this.#events;
    for (const task of [...this.#ids.keys()]) this.settled(task);
    events.push({
      name: "process_name",
      ph: "M",
      ts: 0,
      pid: PID,
      tid: 0,
      args: { name: "aio run()" },
    });
    // Lanes in tree order: every task right below its parent.
    const children = new Map<number, number[]>();
    for (const [tid, parent] of this.#parents) {
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [tid]);
      else list.push(tid);
    }
    let index = 0;
    const visit = (tid: number): void => {
      for (const child of children.get(tid) ?? []) {
        events.push({
          name: "thread_sort_index",
          ph: "M",
          ts: 0,
          pid: PID,
          tid: child,
          args: { sort_index: index++ },
        });
        visit(child);
      }
    };
    visit(0);
    return { traceEvents: events, displayTimeUnit: "ms" };
  }

  #instant(
    task: Task<unknown>,
    name: string,
    args: Record<string, unknown> | undefined,
  ): void {
    const tid = this.#ids.get(task);
    if (tid === undefined) return;
    this.#events.push({
      name,
      cat: "task",
      ph: "i",
      s: "t",
      ts: this.#ts(),
      pid: PID,
      tid,
      ...(args === undefined ? {} : { args }),
    });
  }
}
