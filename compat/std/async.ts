/**
 * npm-only stand-in for the parts of `@std/async` this project uses:
 * `delay`, `deadline`, `abortable`, `pooledMap`, `retry` (with `RetryError`)
 * and `debounce`, with @std's signatures, errors and timing. No npm library
 * matches these closely enough, and each is a few lines.
 *
 * Timers are looked up on `globalThis` at call time, so `FakeTime` controls
 * them, as it does @std's.
 *
 * @module
 */

/** Options for {@linkcode delay}. */
export interface DelayOptions {
  /** Aborting it rejects the delay with the signal's reason. */
  signal?: AbortSignal;
  /** When `false`, the pending delay does not keep the process alive. */
  persistent?: boolean;
}

/**
 * Resolves after `ms` milliseconds, or rejects with `signal.reason` once the
 * signal aborts.
 *
 * @param ms How long to wait.
 * @param options An abort signal; whether the timer keeps the process alive.
 * @returns A promise for the end of the wait.
 */
export function delay(ms: number, options: DelayOptions = {}): Promise<void> {
  const { signal, persistent = true } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
    if (!persistent) unref(timer);
  });
}

function unref(timer: unknown): void {
  // Deno's timers are objects with `unref` (Node style) or plain numbers.
  const handle = timer as { unref?: () => void };
  if (typeof handle.unref === "function") handle.unref();
  else Deno.unrefTimer(Number(timer));
}

/**
 * Makes `promise` reject with `signal.reason` as soon as `signal` aborts.
 *
 * @param promise The promise to race against the signal.
 * @param signal The signal.
 * @returns A promise settling like `promise` unless aborted first.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T>;
/**
 * Makes iterating `iterable` throw `signal.reason` as soon as `signal` aborts.
 *
 * @param iterable The async iterable to guard.
 * @param signal The signal.
 * @returns An async generator yielding what `iterable` yields.
 */
export function abortable<T>(
  iterable: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T>;
export function abortable<T>(
  p: Promise<T> | AsyncIterable<T>,
  signal: AbortSignal,
): Promise<T> | AsyncGenerator<T> {
  return p instanceof Promise
    ? abortablePromise(p, signal)
    : abortableIterable(p, signal);
}

function abortablePromise<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const { promise, reject } = Promise.withResolvers<never>();
  const abort = (): void => reject(signal.reason);
  signal.addEventListener("abort", abort, { once: true });
  return Promise.race([promise, p]).finally(() => {
    signal.removeEventListener("abort", abort);
  });
}

async function* abortableIterable<T>(
  p: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T> {
  signal.throwIfAborted();
  const { promise, reject } = Promise.withResolvers<never>();
  const abort = (): void => reject(signal.reason);
  signal.addEventListener("abort", abort, { once: true });
  const it = p[Symbol.asyncIterator]();
  try {
    while (true) {
      const race = Promise.race([promise, it.next()]);
      race.catch(() => signal.removeEventListener("abort", abort));
      const { done, value } = await race;
      if (done) {
        signal.removeEventListener("abort", abort);
        const result = await it.return?.(value);
        return result?.value;
      }
      yield value;
    }
  } catch (error) {
    await it.return?.();
    throw error;
  }
}

/** Options for {@linkcode deadline}. */
export interface DeadlineOptions {
  /** Aborting it rejects the deadline early with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Rejects with a `DOMException` named `"TimeoutError"` unless `promise`
 * settles within `ms` milliseconds.
 *
 * @param promise The promise to bound.
 * @param ms The time it is given.
 * @param options An abort signal that also ends the wait.
 * @returns A promise settling like `promise`, or rejecting on timeout.
 */
export async function deadline<T>(
  promise: Promise<T>,
  ms: number,
  options: DeadlineOptions = {},
): Promise<T> {
  const signals = [AbortSignal.timeout(ms)];
  if (options.signal) signals.push(options.signal);
  return await abortable(promise, AbortSignal.any(signals));
}

/** The message of the `AggregateError` that {@linkcode pooledMap} throws. */
export const ERROR_WHILE_MAPPING_MESSAGE =
  "Cannot complete the mapping as an error was thrown from an item";

/**
 * Maps `array` through `iteratorFn` with at most `poolLimit` calls running at
 * once, yielding results in input order. After a failure no new call starts;
 * the running ones finish, then the iterator throws an `AggregateError` of
 * the failures.
 *
 * @param poolLimit The most calls in flight at once.
 * @param array The items, sync or async.
 * @param iteratorFn The mapping.
 * @returns The results, in order.
 */
export function pooledMap<T, R>(
  poolLimit: number,
  array: Iterable<T> | AsyncIterable<T>,
  iteratorFn: (data: T) => Promise<R>,
): AsyncIterableIterator<R> {
  // A transform stream keeps the results in order while the pool runs ahead.
  const results = new TransformStream<Promise<R>, R>({
    async transform(p, controller) {
      try {
        controller.enqueue(await p);
      } catch (error) {
        // A failed item is reported by the AggregateError written last.
        if (
          error instanceof AggregateError &&
          error.message === ERROR_WHILE_MAPPING_MESSAGE
        ) {
          controller.error(error);
        }
      }
    },
  });
  (async () => {
    const writer = results.writable.getWriter();
    const executing: Promise<unknown>[] = [];
    try {
      for await (const item of array) {
        const p = Promise.resolve().then(() => iteratorFn(item));
        writer.write(p);
        const e: Promise<unknown> = p.then(() =>
          executing.splice(executing.indexOf(e), 1)
        );
        executing.push(e);
        if (executing.length >= poolLimit) await Promise.race(executing);
      }
      await Promise.all(executing);
      writer.close();
    } catch {
      const errors = [];
      for (const result of await Promise.allSettled(executing)) {
        if (result.status === "rejected") errors.push(result.reason);
      }
      writer.write(
        Promise.reject(new AggregateError(errors, ERROR_WHILE_MAPPING_MESSAGE)),
      ).catch(() => {});
    }
  })();
  return results.readable[Symbol.asyncIterator]();
}

/** Options for {@linkcode retry}. */
export interface RetryOptions {
  /** Backoff growth per attempt (default 2). */
  multiplier?: number;
  /** Longest wait between attempts, in ms (default 60000). */
  maxTimeout?: number;
  /** Attempts before giving up (default 5). */
  maxAttempts?: number;
  /** First and shortest wait between attempts, in ms (default 1000). */
  minTimeout?: number;
  /** Fraction of each wait that is randomized, 0 to 1 (default 1). */
  jitter?: number;
}

/** Thrown by {@linkcode retry} when every attempt failed; `cause` is the last error. */
export class RetryError extends Error {
  /**
   * @param cause The last attempt's error.
   * @param attempts How many attempts were made.
   */
  constructor(cause: unknown, attempts: number) {
    super(`Retrying exceeded the maxAttempts (${attempts}).`, { cause });
    this.name = "RetryError";
  }
}

/**
 * Calls `fn` until it succeeds, waiting an exponentially growing, jittered
 * time between attempts; throws {@linkcode RetryError} after `maxAttempts`.
 *
 * @param fn The (possibly async) operation.
 * @param options Backoff and attempt limits.
 * @returns What `fn` returned on its first success.
 */
export async function retry<T>(
  fn: (() => Promise<T>) | (() => T),
  options?: RetryOptions,
): Promise<T> {
  const {
    multiplier = 2,
    maxTimeout = 60000,
    maxAttempts = 5,
    minTimeout = 1000,
    jitter = 1,
  } = options ?? {};
  if (maxTimeout <= 0) {
    throw new TypeError(
      `Cannot retry as 'maxTimeout' must be positive: current value is ${maxTimeout}`,
    );
  }
  if (minTimeout > maxTimeout) {
    throw new TypeError(
      `Cannot retry as 'minTimeout' must be <= 'maxTimeout': current values 'minTimeout=${minTimeout}', 'maxTimeout=${maxTimeout}'`,
    );
  }
  if (jitter > 1) {
    throw new TypeError(
      `Cannot retry as 'jitter' must be <= 1: current value is ${jitter}`,
    );
  }
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt + 1 >= maxAttempts) throw new RetryError(error, maxAttempts);
      const backoff = Math.min(maxTimeout, minTimeout * multiplier ** attempt);
      const wait = (1 - jitter * Math.random()) * backoff;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** A debounced function, with control over its pending call. */
export interface DebouncedFunction<T extends unknown[]> {
  /** Schedules a call with these arguments, replacing any pending one. */
  (...args: T): void;
  /** Cancels the pending call. */
  clear(): void;
  /** Makes the pending call now. */
  flush(): void;
  /** Whether a call is pending. */
  readonly pending: boolean;
}

/**
 * Returns a function that calls `fn` only after `wait` ms have passed
 * without another call, with the latest arguments.
 *
 * @param fn The function to debounce.
 * @param wait The quiet time, in ms.
 * @returns The debounced function.
 */
export function debounce<T extends unknown[]>(
  fn: (this: DebouncedFunction<T>, ...args: T) => void,
  wait: number,
): DebouncedFunction<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flush: (() => void) | undefined;
  const debounced = ((...args: T): void => {
    debounced.clear();
    flush = () => {
      debounced.clear();
      fn.call(debounced, ...args);
    };
    timer = setTimeout(flush, wait);
  }) as DebouncedFunction<T>;
  debounced.clear = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
      flush = undefined;
    }
  };
  debounced.flush = (): void => flush?.();
  Object.defineProperty(debounced, "pending", {
    get: () => timer !== undefined,
  });
  return debounced;
}
