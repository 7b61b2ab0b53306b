/**
 * `run(main)` opens the root scope; `runMain(main)` does the same for
 * scripts, with signals and an exit code. Mirrors `asyncio.run`.
 *
 * @module
 */

import { InvalidStateError, isCancelled } from "./errors.ts";
import { FutureState } from "./future.ts";
import { checkFunction, currentScope, Scope, show } from "./_scope.ts";
import {
  Nursery,
  type Task,
  type TaskFunction,
  type TaskObserver,
} from "./task.ts";
import { EventLoop } from "./event_loop.ts";

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
  /** @internal Debug and trace hooks. */
  observer?: TaskObserver;
}

/**
 * Runs `main` as the root task of a new scope and returns its value. When
 * `main` settles, tasks still running in the root (made by `createTask`
 * outside any group) are cancelled and awaited, shielded work is awaited,
 * callbacks scheduled on the loop are dropped, and failures nobody observed
 * are reported. Calling `run` inside a running `run` is an error.
 *
 * Mirrors `asyncio.run(main())`.
 *
 * @param main The root task; receives its `AbortSignal`.
 * @param options `signal`, `onUnobservedError`.
 * @returns What `main` returned.
 * @throws {InvalidStateError} If called inside another `run`.
 * @throws {TypeError} If `main` is not a function.
 * @throws {CancelledError} If `main` was cancelled (e.g. through `signal`).
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@seed/aio";
 * const result = await run(async () => {
 *   return await gather(() => sleep(10, "a"), () => sleep(5, "b"));
 * });
 * console.log(result); // ["a", "b"]
 * ```
 */
export async function run<T>(
  main: TaskFunction<T>,
  options?: RunOptions,
): Promise<T> {
  checkFunction(main, "run()");
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new TypeError(
      `run(): options must be an object, got ${show(options)}`,
    );
  }
  const outer = currentScope()?.loop;
  if (outer !== undefined && !outer.closed) {
    throw new InvalidStateError(
      "run() cannot be called from a running event loop",
    );
  }
  const loop = new EventLoop();
  const root = new Scope(undefined, undefined, "run()", false, loop);
  const failed: Task<unknown>[] = [];
  const nursery = new Nursery(root, (task) => {
    if (task._state() === FutureState.REJECTED) failed.push(task);
  }, options?.observer);
  loop._bind(nursery);
  const mainTask = nursery.spawn(main, "main");
  const signal = options?.signal;
  const onAbort = (): void => {
    mainTask.cancel(signal!.reason);
  };
  if (signal !== undefined) {
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  try {
    await new Promise<void>((resolve) =>
      mainTask.addDoneCallback(() => resolve())
    );
    root.cancel("run() is finishing");
    await nursery.join();
    nursery.finished = true;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await loop._close();
    root.close();
  }
  for (const task of failed) {
    if (task === mainTask || task._retrieved()) continue;
    const error = task._value();
    task._markRetrieved();
    if (options?.onUnobservedError !== undefined) {
      options.onUnobservedError(error, task);
    } else {
      console.error(
        `aio: ${task.describe()} exception was never retrieved:`,
        error,
      );
    }
  }
  return mainTask.result();
}

/** Options for {@linkcode runMain}. */
export interface RunMainOptions extends Omit<RunOptions, "signal"> {
  /** Signals that cancel `main` (default SIGINT, and SIGTERM where supported). */
  signals?: Deno.Signal[];
}

/**
 * Runs `main` like {@linkcode run}, for scripts: SIGINT or SIGTERM cancels
 * `main` (a second one exits at once with 130), an error is printed, and
 * `Deno.exitCode` is set: 0 on success, 1 on error, 130 after SIGINT,
 * 143 after SIGTERM.
 *
 * Mirrors `asyncio.run(main())` at the bottom of a script.
 *
 * @param main The root task.
 * @param options `signals`, `onUnobservedError`.
 * @returns The exit code it set.
 *
 * @example
 * ```ts
 * import { runMain, sleep } from "@seed/aio";
 * const code = await runMain(async () => {
 *   await sleep(5);
 * });
 * console.log(code); // 0
 * ```
 */
export async function runMain(
  main: TaskFunction<unknown>,
  options?: RunMainOptions,
): Promise<number> {
  checkFunction(main, "runMain()");
  const signals = options?.signals ??
    (Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"]);
  const controller = new AbortController();
  let received: Deno.Signal | undefined;
  const listeners = signals.map((name) => {
    const listener = (): void => {
      if (received !== undefined) Deno.exit(128 + signalNumber(name));
      received = name;
      controller.abort(name);
    };
    Deno.addSignalListener(name, listener);
    return () => Deno.removeSignalListener(name, listener);
  });
  let code = 0;
  try {
    await run(main, { ...options, signal: controller.signal });
  } catch (error) {
    if (received !== undefined && isCancelled(error)) {
      code = 128 + signalNumber(received);
    } else {
      code = 1;
      console.error(error);
    }
  } finally {
    for (const remove of listeners) remove();
  }
  Deno.exitCode = code;
  return code;
}

function signalNumber(name: Deno.Signal): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as Record<
    string,
    number
  >)[name] ?? 1;
}
