/**
 * The core's error classes callers catch: cancellation, timeouts, misuse of
 * a future or task, and the aggregate a task group throws.
 *
 * The rule (std's): an error class lives beside the API that throws it, and
 * exists only for a condition callers catch; misuse is a built-in
 * `TypeError`/`RangeError`. So each part keeps its own:
 * `BrokenBarrierError` (sync/barrier.ts), `QueueEmpty`, `QueueFull`,
 * `QueueShutDown` (sync/queue.ts), `WorkerError` (workers/worker_error.ts),
 * `IncompleteReadError`, `LimitOverrunError` (streams/stream_errors.ts),
 * `CalledProcessError` (process/run_process.ts). All are exported from
 * `mod.ts` and their part's entry point.
 *
 * @module
 */

/**
 * Thrown at a cancellation point once the surrounding task or scope has been
 * cancelled; mirrors `asyncio.CancelledError`. The `reason` given to
 * `cancel(reason)` travels with it.
 *
 * @example
 * ```ts
 * import { CancelledError, isCancelled } from "@seed/aio";
 * const error = new CancelledError("shutting down");
 * console.log(isCancelled(error), error.reason); // true "shutting down"
 * ```
 */
export class CancelledError extends Error {
  /** The reason handed to `cancel(reason)`, if any. */
  readonly reason: unknown;
  /**
   * Creates a cancellation error.
   * @param reason Why the work was cancelled; a string also becomes the message.
   * @param options Standard error options (`cause`).
   */
  constructor(reason?: unknown, options?: ErrorOptions) {
    super(
      typeof reason === "string" ? reason : "The operation was cancelled",
      options,
    );
    this.name = "CancelledError";
    this.reason = reason;
  }
}

/**
 * Thrown by `timeout`, `timeoutAt`, `waitFor` and `wait`/`asCompleted` when a
 * deadline passes; mirrors `asyncio.TimeoutError`. Its `cause` is the
 * `CancelledError` that unwound the timed-out work.
 *
 * @example
 * ```ts
 * import { sleep, timeout, TimeoutError } from "@seed/aio";
 * try {
 *   await timeout(5, () => sleep(1_000));
 * } catch (error) {
 *   console.log(error instanceof TimeoutError); // true
 * }
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Creates a timeout error.
   * @param message What timed out.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "The operation timed out", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * Thrown when a `Future` or `Task` is used in a state that does not allow the
 * call, such as reading the result of a pending future or setting it twice;
 * mirrors `asyncio.InvalidStateError`.
 *
 * @example
 * ```ts
 * import { Future, InvalidStateError } from "@seed/aio";
 * const future = new Future<number>();
 * try {
 *   future.result();
 * } catch (error) {
 *   console.log(error instanceof InvalidStateError); // true
 * }
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Creates an invalid-state error.
   * @param message What was wrong with the state.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * Thrown by a task group whose body or children failed: it holds every
 * error that was not a cancellation, in the order they happened; mirrors
 * Python's `ExceptionGroup` as raised by `asyncio.TaskGroup`.
 *
 * @example
 * ```ts
 * import { TaskGroupError, taskGroup } from "@seed/aio";
 * try {
 *   await taskGroup((tg) => {
 *     tg.createTask(() => { throw new Error("boom"); });
 *   });
 * } catch (error) {
 *   if (error instanceof TaskGroupError) console.log(error.errors[0].message); // "boom"
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  /**
   * Creates a task group error.
   * @param errors The failures, in order.
   * @param message A summary; by default it counts the failures.
   */
  constructor(errors: Iterable<unknown>, message?: string) {
    const list = [...errors];
    super(
      list,
      message ??
        `Task group failed with ${list.length} error${
          list.length === 1 ? "" : "s"
        }: ${list.map(describe).join("; ")}`,
    );
    this.name = "TaskGroupError";
  }
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/**
 * Tells whether a thrown value is a cancellation: an aio `CancelledError`,
 * or a DOM `AbortError` as thrown by `fetch` and other signal-aware APIs
 * whose signal was a task's.
 *
 * @param error Anything that was thrown.
 * @returns `true` for a cancellation.
 *
 * @example
 * ```ts
 * import { CancelledError, isCancelled } from "@seed/aio";
 * console.log(isCancelled(new CancelledError()), isCancelled(new Error())); // true false
 * ```
 */
export function isCancelled(error: unknown): boolean {
  return error instanceof CancelledError ||
    (error instanceof DOMException && error.name === "AbortError");
}
