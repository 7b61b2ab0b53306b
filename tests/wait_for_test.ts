import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStrictEquals,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  CancelledError,
  createTask,
  Future,
  run,
  sleep,
  TimeoutError,
  waitFor,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

async function advance(time: FakeTime, ms: number): Promise<void> {
  await time.tickAsync(ms);
  await time.runMicrotasks();
}

Deno.test("`waitFor` returns the result of work that finishes in time", async () => {
  await run(async () => {
    assertEquals(await waitFor(() => sleep(1, "fn"), 1_000), "fn");
    assertEquals(await waitFor(Promise.resolve("promise"), 1_000), "promise");
    const task = createTask(() => sleep(1, "task"));
    assertEquals(await waitFor(task, 1_000), "task");
    const future = new Future<string>();
    future.setResult("future");
    assertEquals(await waitFor(future, 1_000), "future");
  });
  assertEquals(pendingTimers(), 0);
});

Deno.test("`waitFor` with null or undefined waits without a limit", async () => {
  using time = new FakeTime();
  const a = waitFor(() => sleep(100_000, "a"), null);
  const b = waitFor(() => sleep(100_000, "b"), undefined);
  await advance(time, 100_000);
  assertEquals(await a, "a");
  assertEquals(await b, "b");
});

Deno.test("`waitFor` expiry cancels a function's work and waits for it before throwing TimeoutError", async () => {
  using time = new FakeTime();
  const events: string[] = [];
  let outcome: unknown;
  const pending = waitFor(async (signal) => {
    try {
      await sleep(10_000);
    } finally {
      events.push(`aborted=${signal.aborted}`);
      await new Promise((r) => setTimeout(r, 20));
      events.push("unwound");
    }
  }, 50).catch((e) => (outcome = e));
  await advance(time, 50);
  assertEquals(events, ["aborted=true"]);
  assertEquals(outcome, undefined);
  await advance(time, 20);
  await pending;
  assertEquals(events, ["aborted=true", "unwound"]);
  assertInstanceOf(outcome, TimeoutError);
  assertInstanceOf(outcome.cause, CancelledError);
});

Deno.test("`waitFor` expiry cancels a Task and waits until it has unwound", async () => {
  await run(async () => {
    let unwound = false;
    const task = createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        await Promise.resolve();
        unwound = true;
      }
    });
    const error = await caught(() => waitFor(task, 1));
    assertInstanceOf(error, TimeoutError);
    assert(task.cancelled());
    assert(unwound);
  });
});

Deno.test("`waitFor` expiry cancels a Future", async () => {
  await run(async () => {
    const future = new Future<number>();
    assertInstanceOf(await caught(() => waitFor(future, 1)), TimeoutError);
    assert(future.cancelled());
  });
});

Deno.test("`waitFor` expiry abandons a plain promise", async () => {
  const never = deferred<string>();
  assertInstanceOf(await caught(() => waitFor(never.promise, 1)), TimeoutError);
  never.resolve("late");
  assertEquals(pendingTimers(), 0);
});

Deno.test("`waitFor` with a zero or negative limit expires at once for pending work", async () => {
  for (const ms of [0, -5]) {
    assertInstanceOf(
      await caught(() => waitFor(() => sleep(1_000), ms)),
      TimeoutError,
    );
  }
});

Deno.test("`waitFor` passes errors through unchanged", async () => {
  const boom = new Error("boom");
  assertStrictEquals(
    await caught(() =>
      waitFor(() => {
        throw boom;
      }, 1_000)
    ),
    boom,
  );
  assertStrictEquals(
    await caught(() => waitFor(Promise.reject(boom), 1_000)),
    boom,
  );
});

Deno.test("cancelling the caller of `waitFor` gives CancelledError and cancels the awaited Task", async () => {
  await run(async () => {
    const started = deferred();
    const inner = createTask(async () => {
      started.resolve();
      await sleep(10_000);
    });
    const caller = createTask(() => waitFor(inner, 10_000));
    await started.promise;
    await sleep(0);
    caller.cancel("stop");
    const error = await caught(() => caller);
    assertInstanceOf(error, CancelledError);
    assertFalse(error instanceof TimeoutError);
    assert(inner.cancelled());
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("`waitFor` rejects bad input with TypeError and leaves nothing running", async () => {
  let ran = false;
  for (const bad of [undefined, null, 5, "x", {}]) {
    assertInstanceOf(
      await caught(() => waitFor(bad as unknown as () => void, 10)),
      TypeError,
    );
  }
  for (const bad of [NaN, "10", {}, true]) {
    assertInstanceOf(
      await caught(() =>
        waitFor(() => {
          ran = true;
        }, bad as unknown as number)
      ),
      TypeError,
    );
  }
  assertFalse(ran);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`waitFor` rethrows an error raised while the work was being cancelled, not TimeoutError", async () => {
  const cleanup = new Error("cleanup failed");
  const error = await caught(() =>
    waitFor(async () => {
      try {
        await sleep(10_000);
      } catch {
        throw cleanup;
      }
    }, 1)
  );
  assertStrictEquals(error, cleanup);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`waitFor(fn, 0)` throws TimeoutError without ever starting fn", async () => {
  let started = false;
  for (const ms of [0, -5]) {
    const error = await caught(() =>
      waitFor(() => {
        started = true;
        return sleep(1);
      }, ms)
    );
    assertInstanceOf(error, TimeoutError);
  }
  assertEquals(started, false);
});

Deno.test("`waitFor` discards a late value: the body returned after the deadline", async () => {
  const error = await caught(() =>
    waitFor(() => new Promise((r) => setTimeout(() => r("late"), 50)), 5)
  );
  assertInstanceOf(error, TimeoutError);
});

Deno.test("`waitFor(promise, ms)` rejects at the deadline itself, not when the promise settles", async () => {
  let release!: () => void;
  const never = new Promise<void>((r) => release = r);
  const t0 = performance.now();
  const error = await caught(() => waitFor(never, 20));
  assertInstanceOf(error, TimeoutError);
  // Generous: the deadline is 20 ms; the promise is released only afterwards.
  assert(performance.now() - t0 < 2_000);
  release();
});

Deno.test("`waitFor(task, ms)` throws the task's own error raised while it was being cancelled", async () => {
  // asyncio 3.12: the inner's error wins over TimeoutError, thrown once (not
  // only reported).
  const cleanup = new Error("cleanup failed");
  const reported: unknown[] = [];
  await run(async () => {
    const task = createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw cleanup;
      }
    });
    const error = await caught(() => waitFor(task, 5));
    assertStrictEquals(error, cleanup);
  }, { onUnobservedError: (e) => reported.push(e) });
  assertEquals(reported, []);
});
