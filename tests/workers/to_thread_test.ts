import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  type Executor,
  getRunningLoop,
  InvalidStateError,
  run,
  toThread,
  WorkerPool,
} from "@seed/aio";
import { defaultExecutor } from "../../lib/workers/to_thread.ts";
import {
  FINISHED,
  flags,
  liveWorkers,
  release,
  started,
} from "../fixtures/worker_tracking.ts";
import { denoFlags } from "../_helpers.ts";

function assertNoWorkers(): void {
  assertEquals(liveWorkers.size, 0, "a worker was left running");
}

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

Deno.test("`toThread` runs a self-contained function in a worker", async () => {
  await run(async () => {
    assertEquals(await toThread(fib, 20), 6765);
    assertEquals(await toThread((a: number, b: number) => a * b, 6, 7), 42);
    assertEquals(
      await toThread(async (s: string) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return s.toUpperCase();
      }, "async"),
      "ASYNC",
    );
    // Method shorthand travels too.
    const helpers = {
      twice(n: number): number {
        return n * 2;
      },
    };
    assertEquals(await toThread(helpers.twice, 21), 42);
    const where = await toThread(() => {
      const scope = (globalThis as { WorkerGlobalScope?: typeof Object })
        .WorkerGlobalScope;
      return scope !== undefined && globalThis instanceof scope;
    });
    assertEquals(where, true);
  });
  assertNoWorkers();
});

Deno.test("`toThread` explains that closures do not travel", async () => {
  await run(async () => {
    const secret = 41;
    const error = await assertRejects(
      () => toThread(() => secret + 1),
      TypeError,
      "closures do not travel",
    );
    assertStringIncludes(error.message, '"secret"');
    assertInstanceOf(error.cause, ReferenceError);
    // Imports are closures too.
    await assertRejects(
      () => toThread(() => getRunningLoop().time()),
      TypeError,
      "closures do not travel",
    );
  });
  assertNoWorkers();
});

Deno.test("`toThread` explains why a method parted from its object fails", async () => {
  class Counter {
    count = 1;
    #secret = 2;
    next(): number {
      return ++this.count;
    }
    peek(): number {
      return this.#secret;
    }
  }
  const counter = new Counter();
  await run(async () => {
    const error = await assertRejects(
      () => toThread(counter.next),
      TypeError,
      "`this`",
    );
    assertInstanceOf(error.cause, TypeError);
    await assertRejects(
      () => toThread(counter.peek),
      TypeError,
      "could not be compiled",
    );
  });
  assertNoWorkers();
});

Deno.test("`toThread` refuses functions without source, at once", async () => {
  await run(() => {
    assertThrows(() => toThread(Math.max, 1, 2), TypeError, "native or bound");
    assertThrows(
      () => toThread(fib.bind(null), 3),
      TypeError,
      "native or bound",
    );
    class Point {}
    assertThrows(
      () => toThread(Point as unknown as () => void),
      TypeError,
      "class",
    );
    assertThrows(() => toThread(5 as never), TypeError, "function");
  });
  await run(async () => {
    // Arguments are checked when sent: a rejection, not a throw.
    await assertRejects(
      () => toThread((x: unknown) => x, () => 1),
      TypeError,
      "Cannot send the arguments",
    );
  });
  assertNoWorkers();
});

Deno.test("cancelling a task stops its `toThread` call at once", async () => {
  const shared = flags();
  await run(async () => {
    const task = createTask(() =>
      toThread((f: Int32Array) => {
        Atomics.store(f, 0, 1);
        Atomics.notify(f, 0);
        const end = Date.now() + 5000;
        while (Atomics.load(f, 1) === 0 && Date.now() < end) { /* spin */ }
        Atomics.store(f, 2, 1);
      }, shared)
    );
    await started(shared);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assertEquals(Atomics.load(shared, FINISHED), 0);
    assertEquals(defaultExecutor().stats().replaced, 1);
    release(shared);
  });
  assertNoWorkers();
});

Deno.test("the default pool belongs to its `run()` and stops with it", async () => {
  let pool: WorkerPool | undefined;
  await run(async () => {
    pool = defaultExecutor();
    await toThread(() => 1);
    assertEquals(pool.workerCount, 1);
    // One pool per run: the same for toThread and runInExecutor(undefined).
    await getRunningLoop().runInExecutor(undefined, () => 2);
    assertEquals(pool.stats().started, 1);
  });
  assertEquals(pool!.workerCount, 0);
  assertEquals(pool!.closed, true);
  await run(() => {
    // A new run gets a new default pool.
    assertEquals(defaultExecutor() === pool, false);
  });
  assertNoWorkers();
});

Deno.test("outside `run()`, `toThread` leaves no worker behind after the call", async () => {
  assertEquals(await toThread((n: number) => n + 1, 1), 2);
  assertNoWorkers();
  // And a script that uses it exits on its own (no idle worker keeps it).
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { toThread } from ${
        JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
      };
      console.log(await toThread((n: number) => n * 2, 21));`,
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...denoFlags(), script],
      stdout: "piped",
      stderr: "inherit",
      signal: AbortSignal.timeout(15_000),
    }).output();
    assertEquals(code, 0);
    assertEquals(new TextDecoder().decode(stdout).trim(), "42");
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("`runInExecutor` runs in a given executor or the default pool, as in the asyncio documents", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    // 1. Run in the default loop's executor.
    assertEquals(
      await loop.runInExecutor(undefined, () => "default"),
      "default",
    );
    assertEquals(await loop.runInExecutor(null, () => "none"), "none");
    // 2. Run in a custom pool.
    {
      await using pool = new WorkerPool({ size: 1 });
      const cpuBound = () => {
        let sum = 0;
        for (let i = 0; i < 10 * 5; i++) sum += i ** 2;
        return sum;
      };
      assertEquals(await loop.runInExecutor(pool, cpuBound), 40425);
      assertEquals(pool.stats().completed, 1);
    }
    // 3. Any Executor will do.
    const calls: unknown[][] = [];
    const recording: Executor = {
      submit<A extends unknown[], R>(
        fn: (...args: A) => R,
        ...args: A
      ): Promise<Awaited<R>> {
        calls.push(args);
        return Promise.resolve(fn(...args)) as Promise<Awaited<R>>;
      },
    };
    assertEquals(
      await loop.runInExecutor(recording, (a: number) => a + 1, 1),
      2,
    );
    assertEquals(calls, [[1]]);
    assertThrows(
      () => loop.runInExecutor({} as never, () => 1),
      TypeError,
      "Executor",
    );
    assertThrows(
      () => loop.runInExecutor(5 as never, () => 1),
      TypeError,
      "Executor",
    );
  });
  assertNoWorkers();
});

Deno.test("`runInExecutor` on a closed loop is an InvalidStateError", async () => {
  const loop = await run(() => getRunningLoop());
  assertThrows(
    () => loop.runInExecutor(undefined, () => 1),
    InvalidStateError,
  );
  assertNoWorkers();
});

Deno.test("`run()` does not load the worker pool: the workers part registers the default executor when it loads", async () => {
  // A child process: which modules are loaded is per process.
  const lib = new URL("../../lib/", import.meta.url).href;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      script,
      `import { run } from "${lib}run.ts";
      import { EventLoop, getRunningLoop } from "${lib}event_loop.ts";
      const before = EventLoop._defaultExecutor === undefined;
      const refused = await run(() =>
        getRunningLoop().runInExecutor(undefined, (n: number) => n * 2, 21)
      ).then(() => "ran", (e) => e.name);
      await import("${lib}workers/to_thread.ts");
      const value = await run(() =>
        getRunningLoop().runInExecutor(undefined, (n: number) => n * 2, 21)
      );
      console.log(before, refused, value, EventLoop._defaultExecutor !== undefined);`,
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...denoFlags(), script],
      stdout: "piped",
      stderr: "inherit",
      signal: AbortSignal.timeout(30_000),
    }).output();
    assertEquals(code, 0);
    // Not loaded by run() itself: without the workers part there is no
    // default executor (a clear error); loading it registers one.
    assertEquals(
      new TextDecoder().decode(stdout).trim(),
      "true InvalidStateError 42 true",
    );
  } finally {
    await Deno.remove(script);
  }
});
