/**
 * `WorkerError`: a worker call failed in a way that cannot be shown as the
 * original error.
 *
 * @module
 */

/**
 * Thrown when a worker call fails in a way that cannot be shown as the
 * original error: the worker threw an instance of a class that cannot be
 * rebuilt on this side (then `cause` holds an `Error` with the original
 * `name`, `message`, worker-side `stack` and cloneable properties), or the
 * worker crashed or exited during the call. Also what the loop's exception
 * handler receives for an error a worker raised outside any call (a stray
 * timer of an earlier call).
 *
 * Mirrors `concurrent.futures.process.BrokenProcessPool` (which, unlike
 * this, breaks the whole pool).
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
