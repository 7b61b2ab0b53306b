import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  CancelledError,
  checkpoint,
  createTask,
  Future,
  gather,
  run,
  sleep,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

Deno.test("`gather` returns results in argument order, not completion order", async () => {
  const finished: string[] = [];
  const fastDone = deferred();
  const midDone = deferred();
  const results = await gather(
    async () => {
      await midDone.promise;
      finished.push("slow");
      return "slow";
    },
    async () => {
      await sleep(1);
      finished.push("fast");
      fastDone.resolve();
      return "fast";
    },
    async () => {
      await fastDone.promise;
      await sleep(1);
      finished.push("mid");
      midDone.resolve();
      return "mid";
    },
  );
  assertEquals(results, ["slow", "fast", "mid"]);
  assertEquals(finished, ["fast", "mid", "slow"]);
});

Deno.test("`gather` accepts functions, promises, Tasks and Futures together", async () => {
  await run(async () => {
    const future = new Future<string>();
    const task = createTask(() => sleep(1, "task"));
    setTimeout(() => future.setResult("future"), 1);
    const results = await gather(
      () => "function",
      Promise.resolve("promise"),
      task,
      future,
      (signal: AbortSignal) => signal instanceof AbortSignal,
    );
    assertEquals(results, ["function", "promise", "task", "future", true]);
  });
});

Deno.test("`gather` with no items returns an empty array", async () => {
  assertEquals(await gather(), []);
  assertEquals(await gather({ returnExceptions: true }), []);
});

Deno.test("`gather`: the first error cancels the others, waits for them, then is thrown", async () => {
  const events: string[] = [];
  const first = new Error("first");
  const error = await caught(() =>
    gather(
      async () => {
        try {
          await sleep(10_000);
        } finally {
          await Promise.resolve();
          events.push("sibling unwound");
        }
      },
      async () => {
        await sleep(1);
        throw first;
      },
      async () => {
        await sleep(2);
        throw new Error("second, never thrown: cancelled first");
      },
    )
  );
  assertStrictEquals(error, first);
  // Structured: the siblings settled before gather threw (asyncio differs).
  assertEquals(events, ["sibling unwound"]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`gather` cancels Tasks passed in when it fails", async () => {
  await run(async () => {
    const started = deferred();
    const passed = createTask(async () => {
      started.resolve();
      await sleep(10_000);
    });
    await started.promise;
    const boom = new Error("boom");
    const error = await caught(() =>
      gather(passed, () => {
        throw boom;
      })
    );
    assertStrictEquals(error, boom);
    assert(passed.cancelled());
  });
});

Deno.test("`gather` with returnExceptions puts errors in place and lets the others finish", async () => {
  const boom = new Error("boom");
  const results = await gather(
    () => sleep(2, "ok"),
    () => {
      throw boom;
    },
    Promise.reject(new RangeError("rejected")),
    { returnExceptions: true },
  );
  assertEquals(results.length, 3);
  assertEquals(results[0], "ok");
  assertStrictEquals(results[1], boom);
  assertInstanceOf(results[2], RangeError);
});

Deno.test("`gather` with returnExceptions reports an item's own cancellation in place", async () => {
  await run(async () => {
    const victim = createTask(() => sleep(10_000));
    const results = await gather(
      victim,
      async () => {
        await checkpoint();
        victim.cancel("dropped");
        return "canceller";
      },
      { returnExceptions: true },
    );
    assertInstanceOf(results[0], CancelledError);
    assertEquals((results[0] as CancelledError).reason, "dropped");
    assertEquals(results[1], "canceller");
  });
});

Deno.test("`gather` without returnExceptions throws CancelledError when an item is cancelled on its own", async () => {
  await run(async () => {
    const victim = createTask(() => sleep(10_000));
    let otherCancelled = false;
    const error = await caught(() =>
      gather(
        victim,
        async () => {
          try {
            await sleep(10_000);
          } catch (e) {
            otherCancelled = e instanceof CancelledError;
            throw e;
          }
        },
        async () => {
          await checkpoint();
          victim.cancel("dropped");
        },
      )
    );
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "dropped");
    assert(otherCancelled);
  });
});

Deno.test("cancelling the caller of `gather` cancels every child and throws CancelledError", async () => {
  await run(async () => {
    const cancelled: number[] = [];
    let ready = 0;
    const allReady = deferred();
    const child = (i: number) => async () => {
      try {
        if (++ready === 3) allReady.resolve();
        await sleep(10_000);
      } catch (e) {
        if (e instanceof CancelledError) cancelled.push(i);
        throw e;
      }
    };
    const caller = createTask(() =>
      gather(child(0), child(1), child(2), { returnExceptions: true })
    );
    await allReady.promise;
    caller.cancel("stop");
    const error = await caught(() => caller);
    assertInstanceOf(error, CancelledError);
    assertEquals(cancelled.sort(), [0, 1, 2]);
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("cancelling the caller of `gather` cancels Futures passed in", async () => {
  await run(async () => {
    const future = new Future<number>();
    const caller = createTask(() => gather(future));
    await sleep(1);
    caller.cancel();
    await caught(() => caller);
    assert(future.cancelled());
  });
});

Deno.test("`gather` rejects a non-awaitable item with TypeError before starting anything", async () => {
  await run(async () => {
    let started = false;
    const error = await caught(() =>
      gather(() => {
        started = true;
      }, 42 as unknown as () => void)
    );
    assertInstanceOf(error, TypeError);
    assert((error as Error).message.includes("gather() item 1"));
    await checkpoint();
    assertFalse(started);
  });
  for (const bad of [null, undefined, "x", 1]) {
    await assertRejects(
      () => gather(bad as unknown as () => void),
      TypeError,
    );
  }
});

Deno.test("`gather` treats a trailing non-thenable object as options, not an item", async () => {
  const results = await gather(() => 1, { returnExceptions: false });
  assertEquals(results, [1]);
});

Deno.test("`gather` passes each function child its own AbortSignal, aborted on failure", async () => {
  const signals: AbortSignal[] = [];
  await caught(() =>
    gather(
      async (signal: AbortSignal) => {
        signals.push(signal);
        await sleep(10_000);
      },
      async (signal: AbortSignal) => {
        signals.push(signal);
        await sleep(1);
        throw new Error("x");
      },
    )
  );
  assertEquals(signals.length, 2);
  assert(signals[0] !== signals[1]);
  assert(signals[0].aborted);
});
