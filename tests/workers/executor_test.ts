import { assertEquals, assertRejects } from "@std/assert";
import {
  CancelledError,
  createTask,
  type Executor,
  getRunningLoop,
  run,
  sleep,
  WorkerPool,
} from "@seed/aio";
import { liveWorkers } from "../fixtures/worker_tracking.ts";

/**
 * The straightforward custom executor: no cast anywhere. It runs on the
 * calling thread (for tests), and its returned promise is the function's,
 * so an async function's result is awaited.
 */
class InlineExecutor implements Executor {
  readonly calls: unknown[][] = [];

  submit<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<R> {
    this.calls.push(args);
    return Promise.resolve(fn(...args));
  }
}

/** The same with an async method. */
class AsyncExecutor implements Executor {
  async submit<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
    ...args: A
  ): Promise<R> {
    await sleep(0);
    return await fn(...args);
  }
}

Deno.test("a custom `Executor` class type-checks without casts and works with `runInExecutor`", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const inline = new InlineExecutor();
    // The result types follow the function: number, and string for an async one.
    const n: number = await loop.runInExecutor(inline, (a: number) => a + 1, 1);
    const s: string = await loop.runInExecutor(
      inline,
      async (x: string) => await Promise.resolve(x.toUpperCase()),
      "ok",
    );
    assertEquals([n, s], [2, "OK"]);
    assertEquals(inline.calls, [[1], ["ok"]]);
    const viaAsync: number = await loop.runInExecutor(
      new AsyncExecutor(),
      (a: number, b: number) => a * b,
      6,
      7,
    );
    assertEquals(viaAsync, 42);
    // The built-in ones are Executors too, with the same inferred types.
    const executors: Executor[] = [inline, new AsyncExecutor()];
    assertEquals(executors.length, 2);
  });
});

Deno.test("`WorkerPool.submit` infers the awaited result type of the function", async () => {
  await run(async () => {
    await using pool = new WorkerPool({ size: 1 });
    const executor: Executor = pool;
    const value: number = await executor.submit(
      async (a: number) => await Promise.resolve(a * 2),
      21,
    );
    assertEquals(value, 42);
    const text: string = await pool.submit((a: string) => a + "!", "hi");
    assertEquals(text, "hi!");
  });
  assertEquals(liveWorkers.size, 0);
});

Deno.test("`runInExecutor` on a custom executor is cancelled with the calling task", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const task = createTask(() =>
      loop.runInExecutor(new AsyncExecutor(), () => sleep(60_000))
    );
    await sleep(5);
    task.cancel();
    await assertRejects(() => task, CancelledError);
  });
});
