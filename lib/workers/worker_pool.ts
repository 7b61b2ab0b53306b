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
import { type CancelNode, currentScope, Scope } from "../_core/_scope.ts";
import { checkFunction, show } from "../_core/_checks.ts";
import { cancelTimer, now, schedule, type Timer } from "../_core/_timers.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";
import type {
  CallMessage,
  ReplyMessage,
  Scalar,
  SerializedError,
} from "./_worker_host.ts";

/** Options for {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** Most workers at once; default `navigator.hardwareConcurrency`. */
  size?: number;
  /**
   * A worker idle this long (ms) is stopped; default 1000. `0` stops a
   * worker as soon as nothing is waiting for it; `Infinity` keeps workers
   * until the pool is closed or its `run()` ends.
   */
  idleTimeoutMs?: number;
  /**
   * Most calls waiting for a worker (default 1024). Beyond it, `run` waits
   * for room (a cancellation point) instead of growing the queue.
   */
  maxQueue?: number;
  /**
   * The workers' permissions (`Deno.PermissionOptions`), default
   * `"inherit"`. Anything else needs Deno's `--unstable-worker-options`
   * flag (or `"unstable": ["worker-options"]` in deno.json): without it Deno
   * exits the process when the first worker starts.
   */
  permissions?: Deno.PermissionOptions;
  /** A name for the workers (shown in Deno's error messages). */
  name?: string;
}

/** Options for {@linkcode WorkerPool.run}. */
export interface WorkerRunOptions {
  /**
   * Objects to move to the worker instead of copying (`ArrayBuffer`s,
   * `MessagePort`s...): they are detached here as soon as `run` is called.
   */
  transfer?: Transferable[];
  /**
   * Aborting it stops the call like cancelling the task does (the worker
   * running it is terminated); `run` then rejects with `signal.reason`.
   */
  signal?: AbortSignal;
}

/** A snapshot of a pool's state, from {@linkcode WorkerPool.stats}. */
export interface WorkerPoolStats {
  /** The most workers at once. */
  size: number;
  /** Workers alive now. */
  workers: number;
  /** Workers running a call. */
  busy: number;
  /** Workers alive and waiting for a call. */
  idle: number;
  /** Calls waiting for a worker. */
  queued: number;
  /** Callers waiting for room in a full queue. */
  waiting: number;
  /** Workers started so far. */
  started: number;
  /** Calls that returned a value. */
  completed: number;
  /** Calls that threw (in the worker, or because it crashed). */
  failed: number;
  /** Calls cancelled while queued or running. */
  cancelled: number;
  /** Workers terminated because their call was cancelled or they crashed. */
  replaced: number;
}

/**
 * The methods of a module as `WorkerPool.wrap` exposes them: each export
 * that is a function, returning a promise of its (awaited) result.
 */
export type Wrapped<M> = {
  readonly [
    K in keyof M as K extends string
      ? (M[K] extends (...args: never[]) => unknown ? K : never)
      : never
  ]: M[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * Thrown when a worker call fails in a way that cannot be shown as the
 * original error: the worker threw an instance of a class that cannot be
 * rebuilt on this side (then `cause` holds an `Error` with the original
 * `name`, `message`, worker-side `stack` and cloneable properties), or the
 * worker crashed or exited during the call.
 *
 * @example
 * ```ts
 * import { WorkerError } from "@seed/aio";
 * const error = new WorkerError("Worker exited during the call");
 * console.log(error.name); // "WorkerError"
 * ```
 */
export class WorkerError extends Error {
  /**
   * Creates a worker error.
   * @param message What happened.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WorkerError";
  }
}

/** What to run: a module export or a function source, with arguments. */
interface Job {
  /** The pool's number for the module URL or the source (see #targetId). */
  target: number;
  /** The module URL, or the function source. */
  text: string;
  /** The export to call; undefined for a function source. */
  name: string | undefined;
  args: unknown[];
}

/** A call; linked into its scope's cancel list while pending. */
interface Call extends CancelNode {
  readonly job: Job;
  transfer: Transferable[] | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly scope: Scope | undefined;
  readonly loop: EventLoop | undefined;
  readonly signal: AbortSignal | undefined;
  /** The worker running it; undefined while queued. */
  slot: Slot | undefined;
  /** In the queue (not yet dispatched, not removed). */
  queued: boolean;
  onAbort: (() => void) | undefined;
  done: boolean;
}

function ignore(): void {}

interface Slot {
  readonly worker: WorkerLike;
  /** Targets (modules, sources) this worker was already sent. */
  readonly known: Set<number>;
  /** The function of the previous call (-1: none). */
  lastTarget: number;
  lastName: string | undefined;
  call: Call | undefined;
  idleSince: number;
  dead: boolean;
}

/**
 * Calls waiting for a worker, first in first out, with O(1) removal of a
 * cancelled one (marked, skipped later): thousands of queued calls must not
 * make each dequeue scan the ones before it.
 */
class CallQueue {
  #items: (Call | undefined)[] = [];
  #head = 0;
  /** Live calls in the queue. */
  size = 0;

  push(call: Call): void {
    call.queued = true;
    this.#items.push(call);
    this.size++;
  }

  shift(): Call | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const call = items[this.#head];
      items[this.#head++] = undefined;
      if (call !== undefined && call.queued) {
        call.queued = false;
        this.size--;
        this.#compact();
        return call;
      }
    }
    this.#compact();
    return undefined;
  }

  remove(call: Call): boolean {
    if (!call.queued) return false;
    call.queued = false;
    this.size--;
    this.#compact();
    return true;
  }

  /** A snapshot of the live calls, in order. */
  live(): Call[] {
    const calls: Call[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const call = this.#items[i];
      if (call !== undefined && call.queued) calls.push(call);
    }
    return calls;
  }

  #compact(): void {
    const dead = this.#items.length - this.size;
    if (dead > 64 && dead > this.size) {
      this.#items = this.live();
      this.#head = 0;
    }
  }
}

/** @internal What the pool needs of a worker (a subprocess can be one). */
export interface WorkerLike {
  postMessage(message: unknown, options?: StructuredSerializeOptions): void;
  terminate(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
}

const spawners = new WeakMap<WorkerPool, () => WorkerLike>();

/**
 * @internal Makes `pool` start its workers with `spawn` instead of
 * `new Worker` (SubprocessExecutor's processes speak the same protocol).
 */
export function useSpawner(pool: WorkerPool, spawn: () => WorkerLike): void {
  spawners.set(pool, spawn);
}

interface WorkerOptionsWithDeno extends WorkerOptions {
  deno?: { permissions?: Deno.PermissionOptions };
}

type Outcome = "ok" | "failed" | "cancelled";

const DEFAULT_IDLE_TIMEOUT_MS = 1000;
const DEFAULT_MAX_QUEUE = 1024;
const MAX_TARGETS = 512;

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
  readonly #queue = new CallQueue();
  /** Callers waiting for room in the queue. */
  readonly #space = new WaitQueue<void>();
  /** Callers woken with room kept for them, not yet resumed. */
  #woken = 0;
  /** `close()` callers waiting for the last call to finish. */
  readonly #drained = new WaitQueue<void>();
  readonly #loops = new Set<EventLoop>();
  #sweeper: Timer | undefined;
  readonly #modules = new Map<string, number>();
  readonly #sources = new Map<string, number>();
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
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `size` is not a positive integer or `maxQueue` a non-negative one.
   */
  constructor(options: WorkerPoolOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `WorkerPool: options must be an object, got ${show(options)}`,
      );
    }
    const {
      size = navigator.hardwareConcurrency || 1,
      idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
      maxQueue = DEFAULT_MAX_QUEUE,
      permissions = "inherit",
      name,
    } = options;
    if (typeof size !== "number") {
      throw new TypeError(
        `WorkerPool: size must be a number, got ${show(size)}`,
      );
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `WorkerPool: size must be a positive integer, got ${size}`,
      );
    }
    if (typeof idleTimeoutMs !== "number" || Number.isNaN(idleTimeoutMs)) {
      throw new TypeError(
        `WorkerPool: idleTimeoutMs must be a number of milliseconds, got ${
          show(idleTimeoutMs)
        }`,
      );
    }
    if (typeof maxQueue !== "number" || Number.isNaN(maxQueue)) {
      throw new TypeError(
        `WorkerPool: maxQueue must be a number, got ${show(maxQueue)}`,
      );
    }
    if (
      maxQueue < 0 || (!Number.isInteger(maxQueue) && maxQueue !== Infinity)
    ) {
      throw new RangeError(
        `WorkerPool: maxQueue must be a non-negative integer or Infinity, got ${maxQueue}`,
      );
    }
    if (
      permissions !== "inherit" && permissions !== "none" &&
      (permissions === null || typeof permissions !== "object")
    ) {
      throw new TypeError(
        `WorkerPool: permissions must be "inherit", "none" or an object, got ${
          show(permissions)
        }`,
      );
    }
    if (name !== undefined && typeof name !== "string") {
      throw new TypeError(
        `WorkerPool: name must be a string, got ${show(name)}`,
      );
    }
    this.#size = size;
    this.#idleTimeoutMs = Math.max(0, idleTimeoutMs);
    this.#maxQueue = maxQueue;
    this.#permissions = permissions;
    this.#name = name;
  }

  /** The most workers this pool runs at once. */
  get size(): number {
    return this.#size;
  }

  /** How many workers are alive now (0 once idle ones stopped). */
  get workerCount(): number {
    return this.#workers.size;
  }

  /** Whether `close()` or `terminate()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A snapshot of the pool: workers alive, busy and idle, calls queued,
   * and counters since it was made.
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
      queued: this.#queue.size,
      waiting: this.#space.size,
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
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError(
        `${what}: exportName must be a non-empty string, got ${
          show(exportName)
        }`,
      );
    }
    if (!Array.isArray(args)) {
      throw new TypeError(`${what}: args must be an array, got ${show(args)}`);
    }
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
    fn: (...args: A) => R,
    ...args: A
  ): Promise<Awaited<R>> {
    const source = functionSource(fn, "WorkerPool.submit()");
    const job: Job = {
      target: this.#targetId(source, false),
      text: source,
      name: undefined,
      args,
    };
    return this.#submit(job, undefined, undefined) as Promise<
      Awaited<R>
    >;
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
    const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    return new Proxy({}, {
      get: (_target, key) => {
        // A proxy answering `then` would make itself a thenable.
        if (typeof key !== "string" || key === "then") return undefined;
        let method = methods.get(key);
        if (method === undefined) {
          method = (...args: unknown[]) => this.run(module, key, args);
          methods.set(key, method);
        }
        return method;
      },
    }) as Wrapped<M>;
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
    this.#space.rejectAll(closedError("run"));
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
    this.#space.rejectAll(closedError("run"));
    const error = new CancelledError("WorkerPool terminated");
    for (const call of this.#queue.live()) this.#cancelCall(call, error);
    for (const slot of [...this.#workers]) {
      if (slot.call !== undefined) this.#cancelCall(slot.call, error);
      this.#kill(slot);
    }
    for (const loop of this.#loops) {
      WorkerPool.#registry.get(loop)?.delete(this);
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

  // ---- calls ---------------------------------------------------------------

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
    return this.#space.size === 0 && this.#woken === 0 &&
        this.#capacity() > 0
      ? this.#start(job, transfer, scope, loop, signal)
      : this.#startWhenRoom(job, transfer, scope, loop, signal);
  }

  /** How many more calls could be taken now (started or queued). */
  #capacity(): number {
    const free = this.#idle.length + this.#size - this.#workers.size;
    return Math.max(0, this.#maxQueue - this.#queue.size) + free;
  }

  /** Wakes as many callers waiting for room as there is room for. */
  #wake(): void {
    while (this.#space.size > 0 && this.#capacity() > this.#woken) {
      this.#woken++;
      this.#space.unpark();
    }
  }

  async #startWhenRoom(
    job: Job,
    transfer: Transferable[] | undefined,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    // Wait in a child scope that the explicit signal can cancel too.
    const waiting = new Scope(scope, scope?.task, "WorkerPool.run()");
    const onAbort = (): void => {
      waiting.cancel(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#space.park(waiting);
      // Woken with room kept for this caller (#wake counted it).
      this.#woken--;
      if (this.#closed) throw closedError("run");
      if (waiting.cancelled) {
        // A wake-up must not be lost: hand the room to the next caller.
        this.#wake();
        throw waiting.deliver();
      }
    } catch (error) {
      if (
        signal?.aborted && waiting.cancelCalled &&
        !(scope !== undefined && scope.cancelled)
      ) {
        throw signal.reason;
      }
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      waiting.close();
    }
    return this.#start(job, transfer, scope, loop, signal);
  }

  #start(
    job: Job,
    transfer: Transferable[] | undefined,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const call: Call = {
        job,
        transfer,
        resolve,
        reject,
        scope,
        loop,
        signal,
        slot: undefined,
        queued: false,
        onAbort: undefined,
        done: false,
        prevNode: undefined,
        nextNode: undefined,
        linkedTo: undefined,
        cancel: ignore,
      };
      if (scope !== undefined) {
        call.cancel = (error) => this.#cancelCall(call, error);
        scope.link(call);
      }
      if (signal !== undefined) {
        call.onAbort = () => this.#cancelCall(call, signal.reason);
        signal.addEventListener("abort", call.onAbort, { once: true });
      }
      if (this.#queue.size === 0 && this.#canDispatch()) {
        this.#dispatch(call);
      } else {
        if (transfer !== undefined && transfer.length > 0) {
          // Detach now, as a direct postMessage would, not when a worker
          // frees up: the caller must not see the buffers change later.
          const moved = structuredClone({ args: job.args, transfer }, {
            transfer,
          });
          job.args = moved.args;
          call.transfer = moved.transfer;
        }
        this.#queue.push(call);
      }
    });
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
    const job = call.job;
    // The same function as last time on this worker: just the arguments
    // (one scalar argument bare). Otherwise its number, and its text if
    // this worker never saw it.
    const same = job.target !== -1 && job.target === slot.lastTarget &&
      job.name === slot.lastName;
    const known = same || slot.known.has(job.target);
    const args = job.args;
    const message: CallMessage | unknown[] | Scalar = !same
      ? {
        target: job.target,
        text: known ? undefined : job.text,
        name: job.name,
        args,
      }
      : args.length === 1 && isScalar(args[0])
      ? args[0] as Scalar
      : args;
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
    if (job.target !== -1) slot.known.add(job.target);
    slot.lastTarget = job.target;
    slot.lastName = job.name;
  }

  /** Starts queued calls while workers are free; wakes callers if room. */
  #pump(): void {
    if (this.#terminated) return;
    while (this.#queue.size > 0 && this.#canDispatch()) {
      this.#dispatch(this.#queue.shift()!);
    }
    if (this.#space.size > 0) this.#wake();
  }

  #settle(call: Call, outcome: Outcome, value: unknown): void {
    if (call.done) return;
    call.done = true;
    call.linkedTo?.unlink(call);
    if (call.onAbort !== undefined) {
      call.signal!.removeEventListener("abort", call.onAbort);
    }
    if (outcome === "ok") {
      this.#completed++;
      call.resolve(value);
    } else {
      if (outcome === "failed") this.#failed++;
      else this.#cancelled++;
      call.reject(value);
    }
    if (this.#closed && this.#pending() === 0) this.#drained.unparkAll();
  }

  /** Stops a call: drops it from the queue, or terminates its worker. */
  #cancelCall(call: Call, reason?: unknown): void {
    if (call.done) return;
    const error = reason !== undefined
      ? reason
      : call.scope !== undefined && call.scope.cancelled
      ? call.scope.deliver()
      : new CancelledError();
    if (call.slot !== undefined) {
      const slot = call.slot;
      slot.call = undefined;
      call.slot = undefined;
      // Never wait for it: a worker spinning in a loop ignores terminate()
      // until the loop returns. Its place goes to a fresh worker.
      this.#kill(slot);
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

  // ---- workers -------------------------------------------------------------

  #spawn(): Slot {
    const spawner = spawners.get(this);
    let worker: WorkerLike;
    if (spawner !== undefined) {
      worker = spawner();
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
    }
    const slot: Slot = {
      worker,
      known: new Set(),
      lastTarget: -1,
      lastName: undefined,
      call: undefined,
      idleSince: 0,
      dead: false,
    };
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
        const what = data.busy ? "during the call" : "after an earlier call";
        this.#onCrash(
          slot,
          new WorkerError(
            `Worker crashed ${what}: ${data.crash.name}: ${data.crash.message}`,
            { cause },
          ),
        );
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
      // Nobody's call failed (a stray timer threw after the reply): the
      // error would be lost, so report it like an unobserved task error.
      console.error("aio: a WorkerPool worker crashed while idle:", error);
    }
    this.#pump();
  }

  /** A worker finished its call: give it the next one, or let it idle. */
  #release(slot: Slot): void {
    if (slot.dead) return;
    const next = this.#terminated ? undefined : this.#queue.shift();
    if (next !== undefined) {
      this.#idle.push(slot);
      this.#dispatch(next);
      if (this.#space.size > 0) this.#wake();
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
    if (this.#space.size > 0) this.#wake();
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

  #kill(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#workers.delete(slot);
    const i = this.#idle.indexOf(slot);
    if (i >= 0) this.#idle.splice(i, 1);
    slot.worker.onmessage = null;
    slot.worker.onmessageerror = null;
    // A stray late error event must not reach the process.
    slot.worker.onerror = (event: ErrorEvent) => event.preventDefault();
    slot.worker.terminate();
    if (this.#idle.length === 0 && this.#sweeper !== undefined) {
      cancelTimer(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  // ---- run() integration ---------------------------------------------------

  /**
   * @internal Settles once the workers stopped so far are gone: at once
   * for Web Workers (never waited for), when the processes exited for a
   * SubprocessExecutor.
   */
  _stopped(): Promise<void> {
    return Promise.resolve();
  }

  static readonly #registry = new WeakMap<EventLoop, Set<WorkerPool>>();

  /** Makes the end of `loop`'s run() stop this pool's workers. */
  #attach(loop: EventLoop): void {
    if (this.#loops.has(loop)) return;
    this.#loops.add(loop);
    let pools = WorkerPool.#registry.get(loop);
    if (pools === undefined) {
      const set = new Set<WorkerPool>();
      pools = set;
      WorkerPool.#registry.set(loop, set);
      // One cleanup per loop, however many pools come and go in it.
      loop._addCleanup(async () => {
        WorkerPool.#registry.delete(loop);
        for (const pool of set) pool.#stopFor(loop);
        await Promise.all([...set].map((pool) => pool._stopped()));
      });
    }
    pools.add(this);
  }

  /** run() ended: its calls are cancelled, and no worker stays alive. */
  #stopFor(loop: EventLoop): void {
    this.#loops.delete(loop);
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

// ---- helpers -----------------------------------------------------------------

function isScalar(value: unknown): boolean {
  return value !== null && typeof value !== "object" &&
    typeof value !== "function";
}

const NO_OPTIONS: WorkerRunOptions = Object.freeze({});

function closedError(what: string): InvalidStateError {
  return new InvalidStateError(`Cannot ${what}: the worker pool is closed`);
}

const parsedUrls = new Map<string, string>();

function checkModuleUrl(url: unknown, what: string): string {
  if (url instanceof URL) return url.href;
  if (typeof url !== "string") {
    throw new TypeError(
      `${what}: moduleUrl must be a string or URL, got ${show(url)}`,
    );
  }
  // Parsing a URL on every call shows in the round trip: remember a few.
  const cached = parsedUrls.get(url);
  if (cached !== undefined) return cached;
  try {
    const href = new URL(url).href;
    if (parsedUrls.size >= 64) parsedUrls.clear();
    parsedUrls.set(url, href);
    return href;
  } catch {
    throw new TypeError(
      `${what}: moduleUrl must be an absolute URL, got ${
        show(url)
      }; use new URL("../module.ts", import.meta.url)`,
    );
  }
}

function checkRunOptions(
  options: unknown,
  what: string,
): WorkerRunOptions {
  if (options === undefined) return NO_OPTIONS;
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  const { transfer, signal } = options as WorkerRunOptions;
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw new TypeError(
      `${what}: transfer must be an array, got ${show(transfer)}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `${what}: signal must be an AbortSignal, got ${show(signal)}`,
    );
  }
  return { transfer, signal };
}

const sources = new WeakMap<object, string>();

/** The source of a function that can travel to a worker, or a TypeError. */
export function functionSource(fn: unknown, what: string): string {
  checkFunction(fn, what);
  const cached = sources.get(fn as object);
  if (cached !== undefined) return cached;
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `${what}: cannot run ${
        describeFunction(fn)
      } in a worker: it is native or bound, so it has no source to send; wrap the call in a self-contained function, e.g. (x) => Math.sqrt(x)`,
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(
      `${what}: cannot run a class in a worker; pass a function`,
    );
  }
  sources.set(fn as object, source);
  return source;
}

function describeFunction(fn: unknown): string {
  const name = (fn as { name?: unknown }).name;
  return typeof name === "string" && name !== ""
    ? `function ${JSON.stringify(name)}`
    : "this function";
}

/**
 * A ReferenceError from a function sent by source almost always means it
 * used a variable of the code around it, and a TypeError on `undefined`
 * from one that uses `this`, a method parted from its object: say so,
 * keeping the original.
 */
function explainClosure(error: unknown, source: string): unknown {
  if (
    error instanceof TypeError && /\bthis\b/.test(source) &&
    /undefined/.test(error.message)
  ) {
    return new TypeError(
      "The function sent to the worker uses `this`, which is undefined there: " +
        "a method travels as source text without its object (closures do not " +
        "travel). Pass the data it needs as arguments",
      { cause: error },
    );
  }
  if (error instanceof ReferenceError) {
    const match = /^(\S+) is not defined/.exec(error.message);
    const name = match !== null ? JSON.stringify(match[1]) : "a name";
    return new TypeError(
      `The function sent to the worker uses ${name}, which does not exist there: ` +
        "it travels as source text, so closures do not travel (variables and " +
        "imports of the code around it are not in the worker). Pass values as " +
        "arguments, or put the code in a module and use WorkerPool.run()",
      { cause: error },
    );
  }
  return error;
}

const REBUILDABLE: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error thrown in a worker, with the worker-side stack. */
function rebuildError(data: SerializedError): unknown {
  if (!data.isError) return data.value;
  const cause = data.cause !== undefined ? rebuildError(data.cause) : undefined;
  const options = data.cause !== undefined ? { cause } : undefined;
  let error: Error;
  const ctor = REBUILDABLE[data.ctor];
  if (ctor !== undefined) {
    error = new ctor(data.message, options);
    if (error.name !== data.name) error.name = data.name;
  } else if (data.ctor === "AggregateError") {
    error = new AggregateError(
      (data.errors ?? []).map(rebuildError),
      data.message,
      options,
    );
  } else if (data.ctor === "DOMException") {
    error = new DOMException(data.message, data.name);
  } else if (Object.hasOwn(Deno.errors, data.ctor)) {
    // Deno's own classes (NotFound, NotCapable...) exist on both sides.
    const ctor = (Deno.errors as unknown as Record<string, ErrorConstructor>)[
      data.ctor
    ];
    error = new ctor(data.message, options);
  } else {
    // The class lives in the worker's module: keep its name, message,
    // stack and data on a plain Error, as the cause of a WorkerError.
    const original = new Error(data.message, options);
    original.name = data.name;
    if (data.stack !== undefined) original.stack = data.stack;
    if (data.props !== undefined) Object.assign(original, data.props);
    const wrapper = new WorkerError(`${data.name}: ${data.message}`, {
      cause: original,
    });
    if (data.stack !== undefined) {
      wrapper.stack = `WorkerError: ${data.stack}`;
    }
    return wrapper;
  }
  if (data.stack !== undefined) {
    try {
      error.stack = data.stack;
    } catch {
      // DOMException's stack may be read-only.
    }
  }
  if (data.props !== undefined) Object.assign(error, data.props);
  return error;
}
