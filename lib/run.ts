/**
 * `run(main)` opens the root scope; `runMain(main)` does the same for
 * scripts, with signals and an exit code. Mirrors `asyncio.run`.
 *
 * @module
 */

import { InvalidStateError, isCancelled } from "./errors.ts";
import { FutureState } from "./future.ts";
import { currentScope, Scope } from "./_core/_scope.ts";
import { checkFunction, show } from "./_core/_checks.ts";
import { Nursery, type Task, type TaskFunction } from "./task.ts";
import { EventLoop, getRunningLoop } from "./event_loop.ts";
import { checkInstrumentOptions, startInstruments } from "./_core/_debug.ts";
import { formatTaskTree, taskTree } from "./task_tree.ts";
import { closeAbandonedGroups } from "./task_group.ts";
import {
  checkSignal,
  checkSignalList,
  signalNumber,
} from "./_core/_signals.ts";
import type { RunOptions } from "./types.ts";

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
 * @param options `signal`, `onUnobservedError`, `debug`, `trace`.
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
  checkRunOptions(options);
  const outer = currentScope()?.loop;
  if (outer !== undefined && !outer.closed) {
    throw new InvalidStateError(
      "run() cannot be called from a running event loop",
    );
  }
  checkInstrumentOptions(options, "run()");
  const loop = new EventLoop();
  const root = new Scope(undefined, undefined, "run()", false, loop);
  // Failed root tasks, checked when the run ends; those already read are
  // dropped now and then, so memory follows the unread ones, not the work.
  let failed: Task<unknown>[] = [];
  let pruneAt = 64;
  const instruments = startInstruments(options, loop);
  const nursery = new Nursery(root, (task) => {
    if (task._state() !== FutureState.REJECTED) return;
    failed.push(task);
    if (failed.length >= pruneAt) {
      failed = failed.filter((t) => !t._retrieved());
      pruneAt = Math.max(64, failed.length * 2);
    }
  }, options?.observer ?? instruments);
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
    await closeAbandonedGroups(loop);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await loop._close();
    root.close();
    await instruments?.finish();
  }
  for (const task of failed) {
    if (task === mainTask || task._retrieved()) continue;
    const error = task._value();
    task._markRetrieved();
    if (options?.onUnobservedError !== undefined) {
      // A throwing handler is reported and the others are still offered;
      // main's result stays main's.
      try {
        options.onUnobservedError(error, task);
      } catch (handlerError) {
        loop.callExceptionHandler(handlerError, {
          message: "Exception in onUnobservedError",
        });
      }
    } else {
      console.error(
        `aio: ${task.describe()} exception was never retrieved:`,
        error,
        ...(task.creationStack === undefined ? [] : [
          `\n${task.describe()} was created at:\n  ${
            task.creationStack.replaceAll("\n", "\n  ")
          }`,
        ]),
      );
    }
  }
  return mainTask.result();
}

function checkRunOptions(options: RunOptions | undefined): void {
  if (options === undefined) return;
  const { signal, onUnobservedError } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `run(): signal must be an AbortSignal, got ${show(signal)}`,
    );
  }
  if (
    onUnobservedError !== undefined && typeof onUnobservedError !== "function"
  ) {
    throw new TypeError(
      `run(): onUnobservedError must be a function, got ${
        show(onUnobservedError)
      }`,
    );
  }
}

/** Options for {@linkcode runMain}. */
export interface RunMainOptions extends Omit<RunOptions, "signal"> {
  /** Signals that cancel `main` (default SIGINT, and SIGTERM where supported). */
  signals?: Deno.Signal[];
  /**
   * A signal that prints the live task tree to stderr without stopping the
   * program (see `formatTaskTree`); default `"SIGQUIT"` (Ctrl+\\) where
   * supported, `null` for none.
   */
  taskTreeSignal?: Deno.Signal | null;
}

/**
 * Runs `main` like {@linkcode run}, for scripts: SIGINT or SIGTERM cancels
 * `main` (a second one exits at once with 130), an error is printed, and
 * `Deno.exitCode` is set: 0 on success, 1 on error, 130 after SIGINT,
 * 143 after SIGTERM. SIGQUIT (Ctrl+\\) prints the task tree to stderr and
 * lets the program go on.
 *
 * Mirrors `asyncio.run(main())` at the bottom of a script.
 *
 * @param main The root task.
 * @param options `signals`, `taskTreeSignal`, `onUnobservedError`, `debug`, `trace`.
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
  // Everything is checked before anything is installed.
  checkFunction(main, "runMain()");
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new TypeError(
      `runMain(): options must be an object, got ${show(options)}`,
    );
  }
  const signals: Deno.Signal[] = options?.signals === undefined
    ? (Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"])
    : checkSignalList(options.signals, "runMain()", "signals");
  const treeSignal = options?.taskTreeSignal === undefined
    ? (Deno.build.os === "windows" ? null : "SIGQUIT")
    : options.taskTreeSignal === null
    ? null
    : checkSignal(options.taskTreeSignal, "runMain()", true);
  const controller = new AbortController();
  let received: Deno.Signal | undefined;
  // The listeners belong to the run: installed as main starts, removed
  // when run() ends (after its cleanups, so that a second signal while
  // subprocesses are being stopped still exits at once).
  const install = (): void => {
    const loop = getRunningLoop();
    for (const name of signals) {
      loop._listenSignal(name, () => {
        if (received !== undefined) Deno.exit(128 + signalNumber(name));
        received = name;
        controller.abort(name);
      });
    }
    if (treeSignal !== null) {
      loop._listenSignal(treeSignal, () => {
        if (!loop.closed) console.error(formatTaskTree(taskTree(loop)));
      });
    }
  };
  let code = 0;
  try {
    // Only a function that takes the signal gets one (it costs a controller).
    const root: TaskFunction<unknown> = main.length === 0
      ? () => {
        install();
        return (main as () => unknown)();
      }
      : (signal) => {
        install();
        return main(signal);
      };
    const { taskTreeSignal: _, signals: __, ...runOptions } = options ?? {};
    await run(root, { ...runOptions, signal: controller.signal });
  } catch (error) {
    if (received !== undefined && isCancelled(error)) {
      code = 128 + signalNumber(received);
    } else {
      code = 1;
      console.error(error);
    }
  }
  Deno.exitCode = code;
  return code;
}
