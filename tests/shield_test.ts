import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  checkpoint,
  createTask,
  Future,
  run,
  shield,
  sleep,
  taskGroup,
  TaskGroupError,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

Deno.test("`shield` returns the work's value when nothing is cancelled", async () => {
  await run(async () => {
    assertEquals(await shield(() => sleep(1, "value")), "value");
    assertEquals(await shield(Promise.resolve("promise")), "promise");
  });
  // Outside run nothing can cancel the caller; it still works.
  assertEquals(await shield(() => sleep(1, "outside")), "outside");
});

Deno.test("`shield`: the caller's cancellation gives it CancelledError at once while the work runs on and run awaits it", async () => {
  const events: string[] = [];
  const release = deferred();
  await run(async () => {
    const inside = deferred();
    const caller = createTask(async () => {
      try {
        await shield(async (signal) => {
          inside.resolve();
          await release.promise;
          // The shielded work itself was never cancelled.
          events.push(`work aborted=${signal.aborted}`);
          await sleep(1);
          events.push("work finished");
        });
      } catch (e) {
        events.push(`caller ${(e as Error).name}`);
        throw e;
      }
    });
    await inside.promise;
    caller.cancel("stop");
    assertInstanceOf(await caught(() => caller), CancelledError);
    // The caller is done before the shielded work even resumed.
    assertEquals(events, ["caller CancelledError"]);
    release.resolve();
  });
  // run() did not return before the shielded work finished.
  assertEquals(events, [
    "caller CancelledError",
    "work aborted=false",
    "work finished",
  ]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`shield` inside `timeout`: the caller times out promptly, the work completes", async () => {
  let saved = false;
  await run(async () => {
    const error = await caught(() =>
      timeout(1, () =>
        shield(async () => {
          await sleep(20);
          saved = true;
        }))
    );
    assertInstanceOf(error, TimeoutError);
    assertFalse(saved);
  });
  assert(saved);
});

Deno.test("`shield` work in a task group is not cancelled by the group and is awaited by it", async () => {
  let finished = false;
  const boom = new Error("sibling failed");
  const error = await caught(() =>
    taskGroup((tg) => {
      tg.createTask(async () => {
        await shield(async () => {
          await sleep(5);
          finished = true;
        });
      });
      tg.createTask(async () => {
        await sleep(1);
        throw boom;
      });
    })
  );
  assertInstanceOf(error, TaskGroupError);
  assertEquals(error.errors, [boom]);
  // The group finished only after the shielded work did.
  assert(finished);
});

Deno.test("`shield` of a Task: cancelling the caller does not cancel the task", async () => {
  await run(async () => {
    const task = createTask(() => sleep(5, "task value"));
    const caller = createTask(() => shield(task));
    await sleep(0);
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
    assertFalse(task.cancelled());
    assertEquals(await task, "task value");
  });
});

Deno.test("`shield` of a Future: cancelling the caller does not cancel the future", async () => {
  await run(async () => {
    const future = new Future<number>();
    const caller = createTask(() => shield(future));
    await sleep(0);
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
    assertFalse(future.done());
    future.setResult(1);
  });
});

Deno.test("`shield` in an already cancelled caller still runs the work", async () => {
  let ran = false;
  await run(async () => {
    const gate = deferred();
    const caller = createTask(async () => {
      await gate.promise;
      await shield(async () => {
        await sleep(1);
        ran = true;
      });
    });
    await sleep(0);
    caller.cancel();
    gate.resolve();
    assertInstanceOf(await caught(() => caller), CancelledError);
  });
  assert(ran);
});

Deno.test("`shield` passes the work's error to a caller that is still waiting", async () => {
  await run(async () => {
    const boom = new Error("boom");
    assertStrictEquals(
      await caught(() =>
        shield(() => {
          throw boom;
        })
      ),
      boom,
    );
  });
});

// CORE BUG: the shielded work is spawned as an ordinary child of the
// enclosing group, so its failure fails the group too, although the caller
// already received (and here handled) that error: it surfaces twice.
Deno.test({
  name:
    "`shield` work that fails inside a task group fails only the caller that awaited it",
  ignore: false,
}, async () => {
  const boom = new Error("boom");
  let handled: unknown;
  const value = await taskGroup(async () => {
    try {
      await shield(() => {
        throw boom;
      });
    } catch (e) {
      handled = e;
    }
    return "handled";
  });
  assertStrictEquals(handled, boom);
  assertEquals(value, "handled");
});

Deno.test("`shield` work that fails after its caller was cancelled is reported, not dropped", async () => {
  const reported: unknown[] = [];
  const boom = new Error("late failure");
  await run(async () => {
    const inside = deferred();
    const caller = createTask(() =>
      shield(async () => {
        inside.resolve();
        await sleep(2);
        throw boom;
      })
    );
    await inside.promise;
    caller.cancel();
    await caught(() => caller);
  }, { onUnobservedError: (error) => reported.push(error) });
  assertEquals(reported, [boom]);
});

Deno.test("`shield` rejects a non-awaitable with TypeError", () => {
  for (const bad of [undefined, null, 5, "x", {}]) {
    assertThrows(
      () => shield(bad as unknown as () => void),
      TypeError,
      "shield()",
    );
  }
});

Deno.test("`shield` of a Task that is itself cancelled gives the caller CancelledError", async () => {
  await run(async () => {
    const task = createTask(() => sleep(10_000));
    const caller = createTask(() => shield(task));
    await sleep(0);
    task.cancel("inner");
    const error = await caught(() => caller);
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "inner");
  });
});

Deno.test("`shield` with `{ wait: true }` lets a cancelled task await its cleanup, then stays cancelled", async () => {
  await run(async () => {
    const events: string[] = [];
    const blocked = deferred();
    const task = createTask(async () => {
      try {
        blocked.resolve();
        await sleep(10_000);
      } finally {
        // Every other cancellation point throws here (level-triggered).
        await shield(async () => {
          await sleep(1);
          events.push("cleanup awaited");
        }, { wait: true });
        try {
          await checkpoint();
        } catch (error) {
          events.push(`then ${(error as Error).name}`);
        }
      }
    });
    await blocked.promise;
    task.cancel();
    await caught(() => task);
    assertEquals(events, ["cleanup awaited", "then CancelledError"]);
    assert(task.cancelled());
  });
});

Deno.test("`shield` with `{ wait: true }` rejects bad input", () => {
  assertThrows(
    () => shield(Promise.resolve(1), { wait: true }),
    TypeError,
    "needs a function",
  );
  assertThrows(
    () => shield(() => 1, 5 as unknown as { wait: boolean }),
    TypeError,
  );
});

Deno.test("`shield` checks its options: a wrong type or an unknown name is a TypeError before the work starts", async () => {
  let started = false;
  const work = () => {
    started = true;
  };
  assertThrows(
    () => shield(work, { wait: "true" } as unknown as { wait: boolean }),
    TypeError,
    "option wait must be a boolean",
  );
  assertThrows(
    () => shield(work, { wiat: true } as unknown as { wait: boolean }),
    TypeError,
    "did you mean wait?",
  );
  await Promise.resolve();
  assertEquals(started, false);
});
