/**
 * `@std/async` inside aio tasks: `delay`, `abortable`, `deadline`,
 * `pooledMap`, `retry` and `debounce`, each handed the task's own
 * `AbortSignal` (`currentSignal()`) where it takes one, and each then
 * cancelled, to show which of them stop and which run on:
 *
 * - `delay(ms, { signal })` stops: it rejects with the signal's reason the
 *   moment the task is cancelled. Without the signal it runs on, and the
 *   timeout around it can only report it late.
 * - `abortable(promise, signal)` stops *waiting*; the work under the
 *   promise runs on.
 * - `deadline(promise, ms, { signal })` is @std's timeout for a promise: it
 *   stops waiting (a `DOMException` named TimeoutError), the work runs on.
 *   aio's `timeout(ms, fn)` cancels the work itself.
 * - `pooledMap(limit, items, fn)` takes no signal: the aio waits inside its
 *   calls (a `sleep`) are what stop them, and it wraps their
 *   `CancelledError`s in an `AggregateError`, to be unwrapped (shown).
 *   aio's `Semaphore` in a `taskGroup` does the same job structured.
 * - `retry(fn)` takes no signal: it retries whatever fn throws, the
 *   cancellation included, until it runs out of attempts. Re-throw
 *   `CancelledError` yourself (shown) and retry stops at the next attempt.
 * - `debounce(fn, ms)` runs on: its timer fires after the task is gone
 *   unless the task calls `.clear()` on the way out (shown).
 *
 * Mirrors nothing in asyncio: it shows how the @std helpers a Deno
 * programmer already knows fit into structured concurrency.
 *
 * Run: deno run scripts/std_async.ts [--speed 0.1]
 * (`--speed`, or env AIO_SPEED with --allow-env=AIO_SPEED, scales every
 * sleep: 0.1 runs ten times faster.)
 *
 * @module
 */

import {
  abortable,
  deadline,
  debounce,
  delay,
  pooledMap,
  retry,
  RetryError,
} from "@std/async";
import {
  currentSignal,
  isCancelled,
  moveOnAfter,
  runMain,
  Semaphore,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/std_async.ts",
  shows:
    `@std/async inside aio tasks, with the task's AbortSignal (currentSignal()):
delay, abortable, deadline, pooledMap, retry and debounce, each cancelled to
show which stop (delay with the signal; abortable and deadline stop waiting)
and which run on (the work under abortable/deadline, pooledMap's started
calls, retry, debounce's timer), and where aio's own equivalents differ
(Semaphore vs pooledMap, timeout vs deadline).`,
  permissions: [],
};

function name(error: unknown): string {
  return isCancelled(error) ? "CancelledError" : (error as Error).name;
}

async function delays(): Promise<void> {
  console.log("== delay(ms, { signal })");
  // With the task's signal: cancelled at the deadline, like aio's sleep.
  const value = await moveOnAfter(
    scaled(100),
    () => delay(scaled(1000), { signal: currentSignal() }),
  );
  console.log(`with currentSignal(): stopped at the deadline (${value})`);
  // Without it: aio cannot interrupt a plain timer; the delay runs its
  // full length and only then does timeout() report the deadline.
  let ran = false;
  const start = performance.now();
  try {
    await timeout(scaled(100), async () => {
      await delay(scaled(300));
      ran = true;
    });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    const late = performance.now() - start >= scaled(290);
    console.log(
      `without a signal: ran on (finished = ${ran}), then TimeoutError` +
        (late ? ", late" : ""),
    );
  }
}

async function abortables(): Promise<void> {
  console.log("== abortable(promise, signal)");
  let workDone = false;
  const work = delay(scaled(300)).then(() => workDone = true);
  const value = await moveOnAfter(
    scaled(100),
    () => abortable(work, currentSignal()),
  );
  console.log(
    `stopped waiting (${value}); the work under it still running: ${!workDone}`,
  );
  await work;
  console.log(`the work finished on its own: ${workDone}`);
}

async function deadlines(): Promise<void> {
  console.log("== deadline(promise, ms) vs aio's timeout(ms, fn)");
  let stdDone = false;
  const work = delay(scaled(300)).then(() => stdDone = true);
  try {
    await deadline(work, scaled(100));
  } catch (error) {
    console.log(
      `deadline: ${
        (error as Error).name
      } (a DOMException); work still running: ${!stdDone}`,
    );
  }
  await work;
  let aioDone = false;
  try {
    await timeout(scaled(100), async () => {
      await sleep(scaled(300));
      aioDone = true;
    });
  } catch (error) {
    console.log(
      `timeout: ${
        name(error)
      }; the work inside was cancelled (finished = ${aioDone})`,
    );
  }
}

async function pooledMaps(): Promise<void> {
  console.log("== pooledMap(limit, items, fn) vs Semaphore + taskGroup");
  let running = 0;
  let most = 0;
  const square = async (n: number): Promise<number> => {
    running++;
    most = Math.max(most, running);
    try {
      await sleep(scaled(50)); // An aio wait: a cancellation point.
      return n * n;
    } finally {
      running--;
    }
  };
  const squares = await Array.fromAsync(pooledMap(2, [1, 2, 3, 4, 5], square));
  console.log(`pooledMap: [${squares}], at most ${most} at once`);

  most = 0;
  const semaphore = new Semaphore(2);
  const results: number[] = [];
  await taskGroup((tg) => {
    for (const [i, n] of [1, 2, 3, 4, 5].entries()) {
      tg.createTask(async () => {
        await using _ = await semaphore.lock();
        results[i] = await square(n);
      });
    }
  });
  console.log(`Semaphore(2): [${results}], at most ${most} at once`);

  // Cancelled midway: pooledMap has no signal, but the aio sleeps inside
  // its calls are cancellation points, so the calls in flight stop too.
  // pooledMap wraps their CancelledErrors in an AggregateError: unwrap it,
  // or the cancellation turns into a failure.
  let wrapped = 0;
  const value = await moveOnAfter(scaled(75), async () => {
    try {
      for await (const n of pooledMap(2, [1, 2, 3, 4, 5], square)) {
        console.log(`pooledMap gave ${n}`);
      }
    } catch (error) {
      if (error instanceof AggregateError && error.errors.every(isCancelled)) {
        wrapped = error.errors.length;
        throw error.errors[0];
      }
      throw error;
    }
  });
  console.log(
    `pooledMap cancelled (${value}): unwrapped ${wrapped} CancelledErrors; calls in flight: ${running}`,
  );
}

async function retries(): Promise<void> {
  console.log("== retry(fn, options)");
  let attempts = 0;
  const data = await retry(() => {
    attempts++;
    if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
    return "data";
  }, { minTimeout: scaled(10), multiplier: 1, maxAttempts: 5 });
  console.log(`retry: "${data}" after ${attempts} attempts`);

  // Cancelled: retry retries the CancelledError like any other error.
  attempts = 0;
  try {
    await moveOnAfter(scaled(50), () =>
      retry(async () => {
        attempts++;
        await sleep(scaled(1000));
      }, { minTimeout: scaled(10), multiplier: 1, maxAttempts: 3 }));
  } catch (error) {
    if (!(error instanceof RetryError)) throw error;
    console.log(
      `retry, cancelled: retried the ${
        name(error.cause)
      } ${attempts} times, then RetryError`,
    );
  }

  // The fix: stop on cancellation. Re-throwing does not stop retry, so
  // make the next attempt fail fast and let the cancellation win.
  attempts = 0;
  const value = await moveOnAfter(scaled(50), async () => {
    const signal = currentSignal();
    return await retry(async () => {
      attempts++;
      signal.throwIfAborted(); // Cancelled: fail at once, no more work.
      await sleep(scaled(1000));
    }, { minTimeout: scaled(10), multiplier: 1, maxAttempts: 3 }).catch(
      (error) => {
        if (signal.aborted) throw signal.reason;
        throw error;
      },
    );
  });
  console.log(
    `retry with the signal checked: ${value}, the cancellation won (${attempts} attempts, no work after it)`,
  );
}

async function debounces(): Promise<void> {
  console.log("== debounce(fn, ms)");
  const saved: string[] = [];
  const save = debounce((text: string) => saved.push(text), scaled(50));
  for (const text of ["a", "ab", "abc"]) save(text);
  await sleep(scaled(100));
  console.log(`three calls, one save: [${saved}]`);

  // A task that leaves with a call pending: the timer would fire after it
  // is gone. Clearing on the way out keeps it inside the task's lifetime.
  await moveOnAfter(scaled(20), async () => {
    save("abcd");
    try {
      await sleep(scaled(1000));
    } finally {
      save.clear();
    }
  });
  await sleep(scaled(100));
  console.log(`cancelled with a call pending, cleared in finally: [${saved}]`);
}

async function main(): Promise<void> {
  await delays();
  await abortables();
  await deadlines();
  await pooledMaps();
  await retries();
  await debounces();
}

/**
 * Runs the example with command-line flags (`--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
