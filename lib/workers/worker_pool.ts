/**
 * `WorkerPool`: run functions in Web Workers (isolates on their own
 * threads: real parallelism), structured and cancellable. Workers start
 * lazily, stop when idle, and all stop when the pool is disposed or when the
 * `run()` that used it ends. Cancelling the calling task terminates the
 * worker running the call and the pool replaces it.
 *
 * Mirrors `loop.run_in_executor(ProcessPoolExecutor(), ...)`.
 *
 * @module
 */

import { CancelledError, InvalidStateError } from "../errors.ts";
import type { EventLoop } from "../event_loop.ts";
import type { Executor } from "./executor.ts";
import type {
  WorkerPoolOptions,
  WorkerPoolStats,
  WorkerRunOptions,
  Wrapped,
} from "./types.ts";
import { currentScope, type Scope } from "../_core/_scope.ts";
import { suspend, type WaitKind } from "../_core/_trap.ts";
import { cancelTimer, now, schedule, type Timer } from "../_core/_timers.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";
import { RunVar } from "../_core/_run_var.ts";
import { CallQueue } from "./_call_queue.ts";
import {
  Call,
  callMessage,
  type CallSite,
  type Job,
  type PoolSlot as Slot,
  sent,
} from "./_call.ts";
import {
  newSlot,
  stopWorker,
  TerminatingWorkers,
  type WorkerLike,
} from "./_slot.ts";
import { explainClosure, functionSource } from "./_source.ts";
import {
  checkCall,
  checkModuleUrl,
  checkPoolOptions,
  checkRunOptions,
} from "./_options.ts";
import { rebuildError } from "./_errors_wire.ts";
import { Room } from "./_room.ts";
import { wrapModule } from "./_wrap.ts";
import { WorkerError } from "./worker_error.ts";
import type { InitMessage, ReplyMessage } from "./_worker_host.ts";

export { WorkerError };
export { functionSource };

// ---- Types -------------------------------------------------------------------

export type {
  WorkerPoolOptions,
  WorkerPoolStats,
  WorkerRunOptions,
  Wrapped,
} from "./types.ts";

export type { WorkerLike };

/** @internal How a pool starts its workers, when not `new Worker`. */
export interface Spawner {
  spawn(): WorkerLike;
  /** The kind of wait its calls are (debug mode, traces, virtual time). */
  kind: WaitKind;
}

const spawners = new WeakMap<WorkerPool, Spawner>();

/**
 * @internal Makes `pool` start its workers with `spawn` instead of
 * `new Worker` (SubprocessExecutor's processes speak the same protocol).
 */
export function useSpawner(
  pool: WorkerPool,
  spawn: () => WorkerLike,
  kind: WaitKind = "worker",
): void {
  spawners.set(pool, { spawn, kind });
}

interface WorkerOptionsWithDeno extends WorkerOptions {
  deno?: { permissions?: Deno.PermissionOptions };
}

type Outcome = "ok" | "failed" | "cancelled";

const MAX_TARGETS = 512;
// ---- The pool ------------------------------------------------------------------

/**
 * A pool of Web Workers that run exported functions of modules
 * (`run`, `wrap`) or self-contained functions (`submit`, as `toThread`
 * does), with real parallelism. Calls are cancellation points of the
 * calling task: cancelling it terminates the worker running the call (the
 * pool replaces it) or removes a queued call. Errors thrown in a worker
 * arrive with their name, message and worker-side stack; a worker that
 * crashes or exits fails only its own call. Workers start lazily, stop
 * after `idleTimeoutMs` idle, and all stop when the pool is disposed
 * (`await using`, `close()`), or when the `run()` that used it ends, so
 * neither a script nor a test is kept alive by a forgotten worker.
 *
 * Mirrors `concurrent.futures.ProcessPoolExecutor` as used with
 * `loop.run_in_executor`.
 *
 * @example
 * ```ts
 * import { gather, run, WorkerPool } from "@seed/aio";
 *
 * await run(async () => {
 *   await using pool = new WorkerPool({ size: 2 });
 *   // Each call runs in its own worker, in parallel.
 *   const [a, b] = await gather(
 *     pool.submit((n: number) => n * n, 6),
 *     pool.submit((n: number) => n + 1, 41),
 *   );
 *   console.log(a, b); // 36 42
 * });
 * ```
 */
export class WorkerPool implements Executor, AsyncDisposable {
  readonly #size: number;
  readonly #idleTimeoutMs: number;
  readonly #maxQueue: number;
  readonly #permissions: Deno.PermissionOptions;
  readonly #name: string | undefined;
  readonly #workers = new Set<Slot>();
  /** Idle workers, most recently used last (reused first). */
  readonly #idle: Slot[] = [];
  /** Calls waiting for a worker, in order. */
  readonly #queue = new CallQueue<Call>();
  /** Callers waiting for room in the queue. */
  readonly #room = new Room(() => this.#capacity());
  /** Callers woken with room kept for them, not yet resumed. */
  /** `close()` callers waiting for the last call to finish. */
  readonly #drained = new WaitQueue<void>();
  /** Workers terminated mid-call whose thread may still be running it. */
  readonly #terminating = new TerminatingWorkers();
  readonly #loops = new Set<EventLoop>();
  #sweeper: Timer | undefined;
  readonly #modules = new Map<string, number>();
  readonly #sources = new Map<string, number>();
  readonly #site: CallSite = {
    start: (call) => this.#start(call),
    cancel: (call, error) => this.#cancelCall(call, error),
  };
  #nextTarget = 0;
  #closed = false;
  /** Set by terminate(): nothing is dispatched any more. */
  #terminated = false;
  #started = 0;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #replaced = 0;

  /**
   * Makes a pool; no worker starts until the first call.
   * @param options `size`, `idleTimeoutMs`, `maxQueue`, `permissions`, `name`.
   * @throws {TypeError} If an option is unknown or has the wrong type.
   * @throws {RangeError} If `size` is not a positive integer or `maxQueue` a non-negative one.
   */
  constructor(options: WorkerPoolOptions = {}) {
    const settings = checkPoolOptions(options, "new WorkerPool()");
    this.#size = settings.size;
    this.#idleTimeoutMs = settings.idleTimeoutMs;
    this.#maxQueue = settings.maxQueue;
    this.#permissions = settings.permissions;
    this.#name = settings.name;
  }

  /** The most workers this pool runs at once. */
  get size(): number {
    return this.#size;
  }

  /**
   * How many workers are alive now (0 once idle ones stopped). Workers
   * terminated while their thread may still be running are not counted:
   * see `stats().terminating`.
   */
  get workerCount(): number {
    return this.#workers.size;
  }

  /** Whether `close()` or `terminate()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A snapshot of the pool: workers alive, busy, idle and still
   * terminating, calls queued, and counters since it was made.
   * @returns The numbers.
   */
  stats(): WorkerPoolStats {
    let busy = 0;
    for (const slot of this.#workers) if (slot.call !== undefined) busy++;
    return {
      size: this.#size,
      workers: this.#workers.size,
      busy,
      idle: this.#idle.length,
      terminating: this.#terminating.count(),
      queued: this.#queue.size,
      waiting: this.#room.waiting,
      started: this.#started,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      replaced: this.#replaced,
    };
  }

  /**
   * Calls `exportName(...args)` of the module at `moduleUrl` in a worker
   * and returns its (awaited) result. The module is imported once per
   * worker. Arguments and result travel by structured clone; `transfer`
   * moves buffers instead. A cancellation point: cancelling the calling
   * task (or aborting `signal`) terminates the worker running the call.
   *
   * Mirrors `loop.run_in_executor(executor, module.func, *args)`.
   *
   * @param moduleUrl The module's absolute URL: `new URL("../m.ts", import.meta.url)`.
   * @param exportName The exported function to call.
   * @param args Its arguments.
   * @param options `transfer`, `signal`.
   * @returns What the function returned.
   * @throws {TypeError} On bad arguments, or arguments that cannot be cloned.
   * @throws {InvalidStateError} If the pool is closed.
   * @throws {CancelledError} If the calling task is cancelled meanwhile.
   * @throws {WorkerError} If the worker crashed or exited, or threw an error whose class cannot be rebuilt here.
   *
   * @example
   * ```ts
   * import { run, WorkerPool } from "@seed/aio";
   *
   * const source = "export function add(a, b) { return a + b; }";
   * const url = `data:text/javascript,${encodeURIComponent(source)}`;
   * await run(async () => {
   *   await using pool = new WorkerPool({ size: 1 });
   *   console.log(await pool.run<number>(url, "add", [2, 3])); // 5
   * });
   * ```
   */
  run<T = unknown>(
    moduleUrl: string | URL,
    exportName: string,
    args: readonly unknown[] = [],
    options?: WorkerRunOptions,
  ): Promise<T> {
    const what = "WorkerPool.run()";
    const module = checkModuleUrl(moduleUrl, what);
    checkCall(exportName, args, what);
    const { transfer, signal } = checkRunOptions(options, what);
    return this.#submit(
      {
        target: this.#targetId(module, true),
        text: module,
        name: exportName,
        args: args as unknown[],
      },
      transfer,
      signal,
    ) as Promise<T>;
  }

  /**
   * Runs the self-contained function `fn(...args)` in a worker: `fn`
   * travels as its source text, so it cannot use variables or imports of
   * the code around it (a `ReferenceError` in the worker becomes a
   * `TypeError` saying so). Used by `toThread` and `runInExecutor`.
   *
   * Mirrors `concurrent.futures.Executor.submit(fn, *args)`.
   *
   * @param fn A self-contained function (arrow, `function`, async, method).
   * @param args Its arguments (structured-cloneable).
   * @returns What `fn` returned (awaited).
   * @throws {TypeError} If `fn` is not a function with source (native, bound, a class), or uses a closure.
   * @throws {InvalidStateError} If the pool is closed.
   * @throws {CancelledError} If the calling task is cancelled meanwhile.
   *
   * @example
   * ```ts
   * import { run, WorkerPool } from "@seed/aio";
   * await run(async () => {
   *   await using pool = new WorkerPool({ size: 1 });
   *   console.log(await pool.submit((a: number, b: number) => a * b, 6, 7)); // 42
   * });
   * ```
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<R> {
    const source = functionSource(fn, "WorkerPool.submit()");
    const job: Job = {
      target: this.#targetId(source, false),
      text: source,
      name: undefined,
      args,
    };
    return this.#submit(job, undefined, undefined) as Promise<R>;
  }

  /**
   * A typed proxy for a module: `wrap<typeof import("../m.ts")>(url).f(x)`
   * is `run(url, "f", [x])`, with the module's own parameter and return
   * types (results become promises).
   *
   * @param moduleUrl The module's absolute URL.
   * @returns The proxy.
   * @throws {TypeError} If `moduleUrl` is not an absolute URL.
   *
   * @example
   * ```ts
   * import { run, WorkerPool } from "@seed/aio";
   *
   * const source = "export const square = (n) => n * n;";
   * const url = `data:text/javascript,${encodeURIComponent(source)}`;
   * await run(async () => {
   *   await using pool = new WorkerPool({ size: 1 });
   *   const math = pool.wrap<{ square(n: number): number }>(url);
   *   console.log(await math.square(9)); // 81
   * });
   * ```
   */
  wrap<M extends object>(moduleUrl: string | URL): Wrapped<M> {
    const module = checkModuleUrl(moduleUrl, "WorkerPool.wrap()");
    return wrapModule<M>((name, args) => this.run(module, name, args));
  }

  /**
   * Stops taking calls, waits for the queued and running ones to finish,
   * then stops every worker. A cancellation point: if the caller is
   * cancelled while waiting, the pool is terminated at once instead.
   *
   * Mirrors `Executor.shutdown(wait=True)`.
   *
   * @returns Once every worker is stopped.
   * @throws {CancelledError} If cancelled while waiting (the pool is terminated).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#room.rejectAll(closedError("run"));
    try {
      if (this.#pending() > 0) await this.#drained.park(currentScope());
    } finally {
      this.terminate();
    }
  }

  /**
   * Stops every worker now: running and queued calls fail with
   * `CancelledError`, and the pool takes no new calls.
   *
   * Mirrors `Executor.shutdown(wait=False, cancel_futures=True)`.
   */
  terminate(): void {
    this.#closed = true;
    this.#terminated = true;
    this.#room.rejectAll(closedError("run"));
    const error = new CancelledError("WorkerPool terminated");
    for (const call of this.#queue.live()) this.#cancelCall(call, error);
    for (const slot of [...this.#workers]) {
      if (slot.call !== undefined) this.#cancelCall(slot.call, error);
      this.#kill(slot);
    }
    for (const loop of this.#loops) {
      WorkerPool.#registry.peek(loop)?.delete(this);
    }
    this.#loops.clear();
    this.#drained.unparkAll();
  }

  /**
   * `await using pool = new WorkerPool()`: `close()` when the block ends,
   * except that a cancelled caller does not wait (the pool is terminated)
   * and gets no second CancelledError from here: the one already on its
   * way out stays the error that leaves the block.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.close();
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
  }

  // ---- Calls -----------------------------------------------------------------

  #submit(
    job: Job,
    transfer: Transferable[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(closedError("run"));
    const scope = currentScope();
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const loop = scope?.loop as EventLoop | undefined;
    if (loop !== undefined && !loop.closed) this.#attach(loop);
    // Callers already waiting for room go first (no barging).
    if (this.#room.open()) {
      return this.#call(job, transfer, scope, loop, signal);
    }
    return this.#callWhenRoom(job, transfer, scope, loop, signal);
  }

  /** The caller's wait on a new call: the one wait primitive, kind "worker". */
  #call(
    job: Job,
    transfer: Transferable[] | undefined,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const call = new Call(this.#site, job, transfer, loop, signal);
    const kind = spawners.get(this)?.kind ?? "worker";
    return suspend(call, scope, kind, call);
  }

  /** How many more calls could be taken now (started or queued). */
  #capacity(): number {
    const free = this.#idle.length + this.#size - this.#workers.size;
    return Math.max(0, this.#maxQueue - this.#queue.size) + free;
  }

  async #callWhenRoom(
    job: Job,
    transfer: Transferable[] | undefined,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    await this.#room.enter(
      scope,
      signal,
      "WorkerPool.run()",
      () => this.#closed ? closedError("run") : undefined,
    );
    return this.#call(job, transfer, scope, loop, signal);
  }

  /** A call's wait was armed: dispatch it, or queue it. */
  #start(call: Call): void {
    const signal = call.signal;
    if (signal !== undefined) {
      // Aborted while this caller waited for room in the queue.
      if (signal.aborted) return this.#cancelCall(call, signal.reason);
      call.onAbort = () => this.#cancelCall(call, signal.reason);
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    if (this.#queue.size === 0 && this.#canDispatch()) {
      this.#dispatch(call);
      return;
    }
    const transfer = call.transfer;
    if (transfer !== undefined && transfer.length > 0) {
      // Detach now, as a direct postMessage would, not when a worker frees
      // up: the caller must not see the buffers change later.
      const moved = structuredClone({ args: call.job.args, transfer }, {
        transfer,
      });
      call.job.args = moved.args;
      call.transfer = moved.transfer;
    }
    this.#queue.push(call);
  }

  /**
   * A number for a module URL or function source, so that each worker is
   * sent the text once. Capped: a program that makes endless distinct
   * functions sends them inline (-1) instead of growing the maps.
   */
  #targetId(text: string, module: boolean): number {
    const map = module ? this.#modules : this.#sources;
    let id = map.get(text);
    if (id === undefined) {
      if (map.size >= MAX_TARGETS) return -1;
      id = ++this.#nextTarget;
      map.set(text, id);
    }
    return id;
  }

  #canDispatch(): boolean {
    return this.#idle.length > 0 || this.#workers.size < this.#size;
  }

  /** Hands `call` to an idle worker, or a new one. */
  #dispatch(call: Call): void {
    let slot = this.#idle.pop();
    if (slot === undefined) {
      try {
        slot = this.#spawn();
      } catch (error) {
        this.#settle(call, "failed", error);
        return;
      }
    }
    slot.call = call;
    call.slot = slot;
    const message = callMessage(slot, call.job);
    try {
      if (call.transfer !== undefined) {
        slot.worker.postMessage(message, { transfer: call.transfer });
      } else {
        slot.worker.postMessage(message);
      }
    } catch (error) {
      // Nothing reached the worker: it is as it was.
      slot.call = undefined;
      call.slot = undefined;
      this.#release(slot);
      this.#settle(
        call,
        "failed",
        new TypeError(
          `Cannot send the arguments to a worker: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        ),
      );
      return;
    }
    sent(slot, call.job, call.loop);
  }

  /** Starts queued calls while workers are free; wakes callers if room. */
  #pump(): void {
    if (this.#terminated) return;
    while (this.#queue.size > 0 && this.#canDispatch()) {
      this.#dispatch(this.#queue.shift()!);
    }
    this.#room.wake();
  }

  #settle(call: Call, outcome: Outcome, value: unknown): void {
    if (call.settled) return;
    if (call.onAbort !== undefined) {
      call.signal!.removeEventListener("abort", call.onAbort);
    }
    if (outcome === "ok") {
      this.#completed++;
      call.wake(value);
    } else {
      if (outcome === "failed") this.#failed++;
      else if (call.armed) this.#cancelled++;
      call.fail(value);
    }
    if (this.#closed && this.#pending() === 0) this.#drained.unparkAll();
  }

  /** Stops a call: drops it from the queue, or terminates its worker. */
  #cancelCall(call: Call, error: unknown): void {
    if (call.settled) return;
    const slot = call.slot;
    if (slot !== undefined) {
      slot.call = undefined;
      call.slot = undefined;
      // Never wait for it: a worker spinning in a loop ignores terminate()
      // until the loop returns. Its place goes to a fresh worker.
      this.#kill(slot, call.loop ?? null);
      this.#replaced++;
    } else {
      this.#queue.remove(call);
    }
    this.#settle(call, "cancelled", error);
    this.#pump();
  }

  #pending(): number {
    let running = 0;
    for (const slot of this.#workers) if (slot.call !== undefined) running++;
    return running + this.#queue.size;
  }

  // ---- Workers ---------------------------------------------------------------

  #spawn(): Slot {
    const spawner = spawners.get(this);
    let worker: WorkerLike;
    let running: Int32Array | undefined;
    if (spawner !== undefined) {
      worker = spawner.spawn();
    } else {
      const options: WorkerOptionsWithDeno = { type: "module" };
      if (this.#name !== undefined) options.name = this.#name;
      if (this.#permissions !== "inherit") {
        options.deno = { permissions: this.#permissions };
      }
      worker = new Worker(
        new URL("./_worker_host.ts", import.meta.url),
        options,
      );
      running = new Int32Array(new SharedArrayBuffer(4));
      worker.postMessage({ running } satisfies InitMessage);
    }
    const slot = newSlot<Call>(worker, running);
    worker.onmessage = (event: MessageEvent<ReplyMessage>) =>
      this.#onMessage(slot, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#onCrash(
        slot,
        new WorkerError(`Worker crashed during the call: ${event.message}`, {
          cause: event.error,
        }),
      );
    };
    worker.onmessageerror = () => {
      const call = slot.call;
      if (call === undefined) return;
      slot.call = undefined;
      call.slot = undefined;
      this.#settle(
        call,
        "failed",
        new WorkerError("Cannot receive the result from the worker"),
      );
      this.#release(slot);
    };
    this.#workers.add(slot);
    this.#started++;
    return slot;
  }

  #onMessage(slot: Slot, data: ReplyMessage): void {
    if (slot.dead) return;
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      if ("crash" in data) {
        const cause = rebuildError(data.crash);
        const summary = `${data.crash.name}: ${data.crash.message}`;
        if (slot.call !== undefined && data.call === slot.calls) {
          // The call in progress started what threw: it fails.
          this.#onCrash(
            slot,
            new WorkerError(`Worker crashed during the call: ${summary}`, {
              cause,
            }),
          );
        } else {
          this.#onStray(
            slot,
            new WorkerError(
              `A worker raised an error outside any call (left over from an earlier call): ${summary}`,
              { cause },
            ),
          );
        }
        return;
      }
      if ("exit" in data) {
        this.#onCrash(
          slot,
          new WorkerError(`Worker exited during the call: ${data.exit}`),
        );
        return;
      }
    }
    // One call at a time per worker: a reply is always for slot.call.
    const call = slot.call;
    if (call === undefined) return;
    slot.call = undefined;
    call.slot = undefined;
    if (data === null || typeof data !== "object") {
      this.#settle(call, "ok", data);
    } else if (Array.isArray(data)) this.#settle(call, "ok", data[0]);
    else {
      const error = rebuildError(data.error);
      // A source (toThread) that names something it does not have.
      const explained = call.job.name === undefined
        ? explainClosure(error, call.job.text)
        : error;
      this.#settle(call, "failed", explained);
    }
    this.#release(slot);
  }

  /** A worker that crashed or exited: fail its call, replace it. */
  #onCrash(slot: Slot, error: WorkerError): void {
    if (slot.dead) return;
    const call = slot.call;
    slot.call = undefined;
    this.#kill(slot);
    this.#replaced++;
    if (call !== undefined) {
      call.slot = undefined;
      this.#settle(call, "failed", error);
    } else {
      // Nobody's call failed: the error would be lost, so report it.
      this.#report(slot, error);
    }
    this.#pump();
  }

  /**
   * An error the worker raised outside the call it is running (a timer of
   * an earlier call threw): reported once, to the loop of the worker's
   * latest call; the worker is retired (at once if idle, else once its
   * call ends), so the call in progress goes on and the next one runs on a
   * healthy worker.
   */
  #onStray(slot: Slot, error: WorkerError): void {
    this.#report(slot, error);
    if (slot.retiring) return;
    slot.retiring = true;
    this.#replaced++;
    if (slot.call === undefined) {
      this.#kill(slot);
      this.#pump();
    }
  }

  /** Reports an error no caller can receive (the loop's exception handler). */
  #report(slot: Slot, error: WorkerError): void {
    const loop = slot.loop;
    if (loop !== undefined && !loop.closed) {
      loop.callExceptionHandler(error, {
        message: "Exception in a WorkerPool worker",
      });
    } else {
      console.error("aio: Exception in a WorkerPool worker:", error);
    }
  }

  /** A worker finished its call: give it the next one, or let it idle. */
  #release(slot: Slot): void {
    if (slot.dead) return;
    if (slot.retiring) {
      this.#kill(slot);
      this.#pump();
      return;
    }
    const next = this.#terminated ? undefined : this.#queue.shift();
    if (next !== undefined) {
      this.#idle.push(slot);
      this.#dispatch(next);
      this.#room.wake();
      return;
    }
    if (this.#closed || this.#idleTimeoutMs === 0) {
      this.#kill(slot);
    } else {
      slot.idleSince = now();
      this.#idle.push(slot);
      if (this.#sweeper === undefined && this.#idleTimeoutMs !== Infinity) {
        this.#sweeper = schedule(
          slot.idleSince + this.#idleTimeoutMs,
          () => this.#sweep(),
        );
      }
    }
    this.#room.wake();
  }

  // One timer for the whole pool, not one per call: a worker that goes
  // idle and busy again thousands of times a second must not pay for a
  // timer each time. It stops workers idle long enough, and re-arms for
  // the next one due.
  #sweep(): void {
    this.#sweeper = undefined;
    const t = now();
    let next = Infinity;
    for (const slot of [...this.#idle]) {
      const due = slot.idleSince + this.#idleTimeoutMs;
      if (due <= t) this.#kill(slot);
      else if (due < next) next = due;
    }
    if (next !== Infinity) this.#sweeper = schedule(next, () => this.#sweep());
  }

  /**
   * Terminates a worker. `midCall`: it was stopped while running a call of
   * that run (undefined: none, or outside any run), so its thread may go on
   * running the call's code for a while (see `stats().terminating`).
   */
  #kill(slot: Slot, midCall?: EventLoop | null): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#workers.delete(slot);
    const i = this.#idle.indexOf(slot);
    if (i >= 0) this.#idle.splice(i, 1);
    stopWorker(slot.worker);
    if (midCall !== undefined) this.#terminating.add(slot, midCall);
    if (this.#idle.length === 0 && this.#sweeper !== undefined) {
      cancelTimer(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  // ---- run() integration -----------------------------------------------------

  /**
   * @internal Settles once the workers stopped so far are gone: at once
   * for Web Workers (never waited for), when the processes exited for a
   * SubprocessExecutor.
   */
  _stopped(): Promise<void> {
    return Promise.resolve();
  }

  /** The pools each run used: stopped when it ends. */
  static readonly #registry = new RunVar<Set<WorkerPool>>(() => new Set());

  /** Makes the end of `loop`'s run() stop this pool's workers. */
  #attach(loop: EventLoop): void {
    if (this.#loops.has(loop)) return;
    this.#loops.add(loop);
    const registry = WorkerPool.#registry;
    const first = registry.peek(loop) === undefined;
    const pools = registry.get(loop);
    if (first) {
      // One cleanup per run, however many pools come and go in it.
      loop._addCleanup(async () => {
        registry.delete(loop);
        for (const pool of pools) pool.#stopFor(loop);
        await Promise.all([...pools].map((pool) => pool._stopped()));
      });
    }
    pools.add(this);
  }

  /** run() ended: its calls are cancelled, and no worker stays alive. */
  #stopFor(loop: EventLoop): void {
    this.#loops.delete(loop);
    this.#terminating.forgetRun(loop);
    const error = new CancelledError("run() ended");
    for (const call of this.#queue.live()) {
      if (call.loop === loop) this.#cancelCall(call, error);
    }
    for (const slot of [...this.#workers]) {
      if (slot.call?.loop === loop) this.#cancelCall(slot.call, error);
    }
    for (const slot of [...this.#idle]) this.#kill(slot);
  }
}

// ---- Helpers -----------------------------------------------------------------

function closedError(what: string): InvalidStateError {
  return new InvalidStateError(`Cannot ${what}: the worker pool is closed`);
}
