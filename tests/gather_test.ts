import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import {
  CancelledError,
  checkpoint,
  createTask,
  currentTask,
  Future,
  gather,
  type GatherOptions,
  getRunningLoop,
  InvalidStateError,
  run,
  shield,
  sleep,
  type Task,
  taskGroup,
  TaskGroupError,
  timeout,
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
        await sleep(10_000);
        throw new Error("never thrown: cancelled first");
      },
    )
  );
  assertStrictEquals(error, first);
  // Structured: the siblings settled before gather threw (asyncio differs).
  assertEquals(events, ["sibling unwound"]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`gather` leaves Tasks, Futures and promises passed in running when a sibling fails", async () => {
  await run(async () => {
    const started = deferred();
    const passed = createTask(async () => {
      started.resolve();
      await sleep(10_000);
      return "task";
    });
    const future = new Future<string>();
    const promise = deferred<string>();
    await started.promise;
    const boom = new Error("boom");
    const error = await caught(() =>
      gather(passed, future, promise.promise, () => {
        throw boom;
      })
    );
    assertStrictEquals(error, boom);
    // gather owns only what it started (asyncio's rule).
    assertFalse(passed.done());
    assertFalse(future.done());
    future.setResult("future");
    promise.resolve("promise");
    passed.cancel();
    assertInstanceOf(await caught(() => passed), CancelledError);
  });
});

Deno.test("cancelling the caller of `gather` cancels the Tasks passed in and waits for them to unwind", async () => {
  await run(async () => {
    const events: string[] = [];
    const started = deferred();
    const passed = createTask(async () => {
      started.resolve();
      try {
        await sleep(10_000);
      } finally {
        await shield(() => sleep(1), { wait: true });
        events.push("passed task unwound");
      }
    });
    await started.promise;
    const caller = createTask(() => gather(passed, () => sleep(10_000)));
    await sleep(1);
    caller.cancel("stop");
    const error = await caught(() => caller);
    events.push("caller done");
    assertInstanceOf(error, CancelledError);
    assert(passed.cancelled());
    assertEquals(events, ["passed task unwound", "caller done"]);
  });
});

Deno.test("`gather` reports a second failure and a sibling's cleanup error once each, and throws the first", async () => {
  const reported: unknown[] = [];
  const unobserved: unknown[] = [];
  const first = new Error("first");
  const second = new Error("second");
  const cleanup = new Error("cleanup");
  const error = await caught(() =>
    run(async () => {
      getRunningLoop().setExceptionHandler((e) => reported.push(e));
      const go = deferred();
      await gather(
        async () => {
          await go.promise;
          throw first;
        },
        async () => {
          await go.promise;
          throw second;
        },
        async () => {
          try {
            await sleep(10_000);
          } finally {
            // deno-lint-ignore no-unsafe-finally
            throw cleanup;
          }
        },
        async () => {
          await sleep(1);
          go.resolve();
        },
      );
    }, { onUnobservedError: (e) => unobserved.push(e) })
  );
  assertStrictEquals(error, first);
  assertEquals(reported, [second, cleanup]);
  assertEquals(unobserved, []);
});

Deno.test("`gather` reports an error raised while its caller was cancelled", async () => {
  const reported: unknown[] = [];
  const cleanup = new Error("cleanup");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    const started = deferred();
    const caller = createTask(() =>
      gather(async () => {
        try {
          started.resolve();
          await sleep(10_000);
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw cleanup;
        }
      }, { returnExceptions: true })
    );
    await started.promise;
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
  });
  assertEquals(reported, [cleanup]);
});

Deno.test("`gather` reports a promise item that rejects after gather threw", async () => {
  const reported: unknown[] = [];
  const late = new Error("late");
  const first = new Error("first");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    const promise = deferred<never>();
    const error = await caught(() =>
      gather(promise.promise, () => {
        throw first;
      })
    );
    assertStrictEquals(error, first);
    promise.reject(late);
    await sleep(1);
  });
  assertEquals(reported, [late]);
});

Deno.test("`gather` throws InvalidStateError when an item is the caller's own task or one enclosing it", async () => {
  await run(async () => {
    const error = await caught(() =>
      timeout(10_000, () => gather(currentTask()!))
    );
    assertInstanceOf(error, InvalidStateError);
    assert((error as Error).message.includes("is the caller"), String(error));
    const outer = currentTask()!;
    let started = false;
    const inner = await caught(() =>
      taskGroup((tg) =>
        tg.createTask(() =>
          gather(() => {
            started = true;
          }, outer)
        )
      )
    );
    assertInstanceOf(inner, TaskGroupError);
    assertInstanceOf(inner.errors[0], InvalidStateError);
    assertFalse(started);
  });
});

Deno.test("`gather` puts a Future given twice in both places", async () => {
  await run(async () => {
    const future = new Future<number>();
    setTimeout(() => future.setResult(7), 1);
    assertEquals(await gather(future, () => 1, future), [7, 1, 7]);
  });
});

Deno.test("`gather` checks its options before starting anything", async () => {
  let started = false;
  const fn = () => {
    started = true;
  };
  const misspelt = await caught(() =>
    gather(fn, { retrunExceptions: true } as unknown as GatherOptions)
  );
  assertInstanceOf(misspelt, TypeError);
  assert(
    (misspelt as Error).message.includes("did you mean returnExceptions?"),
    String(misspelt),
  );
  const wrongType = await caught(() =>
    gather(fn, { returnExceptions: "yes" } as unknown as GatherOptions)
  );
  assertInstanceOf(wrongType, TypeError);
  assert((wrongType as Error).message.includes("returnExceptions"));
  await sleep(1);
  assertFalse(started);
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

Deno.test("`gather` with returnExceptions reports the errors it collected when it is cancelled before returning them", async () => {
  const reported: unknown[] = [];
  const collected = new Error("collected");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    const failed = deferred();
    const caller = createTask(() =>
      gather(
        () => {
          failed.resolve();
          throw collected;
        },
        () => sleep(10_000),
        { returnExceptions: true },
      )
    );
    await failed.promise;
    await sleep(1);
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
  });
  assertEquals(reported, [collected]);
});

Deno.test("`gather` accounts once for an error that reaches it twice (a child rethrowing a task it started)", async () => {
  const reported: unknown[] = [];
  const unobserved: unknown[] = [];
  const boom = new Error("boom");
  const error = await caught(() =>
    run(async () => {
      getRunningLoop().setExceptionHandler((e) => reported.push(e));
      await gather(async () => {
        // Started inside a child: owned by gather's scope.
        const inner = createTask(async () => {
          await sleep(1);
          throw boom;
        });
        await inner;
      });
    }, { onUnobservedError: (e) => unobserved.push(e) })
  );
  assertStrictEquals(error, boom);
  assertEquals(reported, []);
  assertEquals(unobserved, []);
});

Deno.test("`gather` of a Task that awaits the caller ends with InvalidStateError, whichever side closes the cycle", async () => {
  await run(async () => {
    // The other task is already waiting for the caller: gather refuses.
    const ref: { caller?: Task<unknown>; gatherer?: Task<unknown> } = {};
    const waiting = createTask(async () => await ref.caller!);
    const caller = ref.caller = createTask(async () => {
      await sleep(1);
      return await gather(waiting);
    });
    const [first] = await Promise.allSettled([caller, waiting]);
    assertEquals(first.status, "rejected");
    const error = (first as PromiseRejectedResult).reason;
    assertInstanceOf(error, InvalidStateError);
    assertStringIncludes(error.message, "an await cycle");

    // gather waits first; the other task then awaits the caller.
    const late = createTask(async () => {
      await sleep(1);
      return await ref.gatherer!;
    });
    const gatherer = ref.gatherer = createTask(() => gather(late));
    const outcomes = await Promise.allSettled([gatherer, late]);
    for (const outcome of outcomes) {
      assertEquals(outcome.status, "rejected");
      assertInstanceOf(
        (outcome as PromiseRejectedResult).reason,
        InvalidStateError,
      );
    }
  });
});
