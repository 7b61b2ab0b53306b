/**
 * The public types of the workers part, in one file (Effection's
 * `lib/types.ts`): the pool's options and stats, and the shape `wrap` gives
 * a module. Re-exported from `worker_pool.ts` and the entry points.
 *
 * @module
 */

/** Options for `WorkerPool`. */
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

/** Options for `WorkerPool.run`. */
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

/** A snapshot of a pool's state, from `WorkerPool.stats`. */
export interface WorkerPoolStats {
  /** The most workers at once. */
  size: number;
  /** Workers alive now (not counting `terminating` ones). */
  workers: number;
  /** Workers running a call. */
  busy: number;
  /** Workers alive and waiting for a call. */
  idle: number;
  /**
   * Workers terminated while a call's code was running whose thread may
   * still be running it: `worker.terminate()` does not stop a JavaScript
   * loop that never yields (a Deno limitation), so a cancelled CPU-bound
   * call keeps its core busy (and the process alive) until its loop
   * returns, although the pool no longer counts the worker in `workers`
   * and already started a replacement. A Web Worker leaves this count once
   * the call's synchronous code has returned (checked when the stats are
   * read); a `SubprocessExecutor` process once it has exited (SIGKILL:
   * promptly). In debug mode (`run(main, { debug: true })`) a warning is
   * printed once for a worker still running a second after it was
   * terminated.
   */
  terminating: number;
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
  /**
   * Workers stopped and replaced because their call was cancelled, they
   * crashed, or they raised an error outside any call.
   */
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
