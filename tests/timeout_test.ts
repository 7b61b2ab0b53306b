import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  CancelledError,
  checkpoint,
  createTask,
  type DebugWarning,
  getRunningLoop,
  InvalidStateError,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
  timeout,
  timeoutAt,
  TimeoutError,
  type TimeoutScope,
} from "@seed/aio";
import { now, pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

/** Ticks fake time, letting promise chains settle before and after. */
async function advance(time: FakeTime, ms: number): Promise<void> {
  await time.tickAsync(ms);
  await time.runMicrotasks();
}

Deno.test("FakeTime drives aio's timer heap: sleep resolves only when fake time reaches it", async () => {
  using time = new FakeTime();
  let done = false;
  const sleeping = sleep(1_000, "woke").then((v) => {
    done = true;
    return v;
  });
  await advance(time, 999);
  assertFalse(done);
  await advance(time, 1);
  assert(done);
  assertEquals(await sleeping, "woke");
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` returns the value of work that finishes in time and releases its timer", async () => {
  assertEquals(await timeout(1_000, () => sleep(1, "in time")), "in time");
  assertEquals(await timeout(1_000, () => "sync"), "sync");
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` expiry cancels the work, waits for it to unwind, then throws TimeoutError caused by the CancelledError", async () => {
  using time = new FakeTime();
  const events: string[] = [];
  let outcome: unknown;
  const pending = timeout(100, async (scope) => {
    try {
      await sleep(10_000);
    } catch (e) {
      events.push(`inner ${(e as Error).name}`);
      assert(scope.expired);
      assert(scope.signal.aborted);
      throw e;
    } finally {
      // An unwind that takes fake time: the caller must wait for it.
      await new Promise((r) => setTimeout(r, 50));
      events.push("inner unwound");
    }
  }).catch((e) => (outcome = e));
  await advance(time, 99);
  assertEquals(events, []);
  await advance(time, 1);
  assertEquals(events, ["inner CancelledError"]);
  assertEquals(outcome, undefined);
  await advance(time, 50);
  await pending;
  assertEquals(events, ["inner CancelledError", "inner unwound"]);
  assertInstanceOf(outcome, TimeoutError);
  assertInstanceOf(outcome.cause, CancelledError);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` scope reports its deadline on the loop's clock", async () => {
  using time = new FakeTime(1_000_000);
  await run(async () => {
    const loop = getRunningLoop();
    assertEquals(loop.time(), 1_000_000);
    const deadline = await timeout(250, (scope) => scope.deadline);
    assertEquals(deadline, 1_000_250);
    assertEquals(await timeout(Infinity, (scope) => scope.deadline), Infinity);
  });
  assertEquals(time.now, 1_000_000);
});

Deno.test("`timeout` with a zero or negative delay expires at once", async () => {
  for (const ms of [0, -5]) {
    let sawExpired = false;
    const error = await caught(() =>
      timeout(ms, async (scope) => {
        sawExpired = scope.expired;
        await checkpoint();
      })
    );
    assertInstanceOf(error, TimeoutError);
    assert(sawExpired);
  }
  assertEquals(pendingTimers(), 0);
});

Deno.test("nested timeouts: only the scope whose deadline passed throws TimeoutError", async () => {
  using time = new FakeTime();
  // Inner deadline first: the inner scope times out, the outer goes on.
  let innerError: unknown;
  const first = timeout(1_000, async () => {
    innerError = await caught(() => timeout(10, () => sleep(10_000)));
    return "outer finished";
  });
  await advance(time, 10);
  assertEquals(await first, "outer finished");
  assertInstanceOf(innerError, TimeoutError);

  // Outer deadline first: inside, it is a cancellation, not a timeout.
  let seenInside: unknown;
  const second = caught(() =>
    timeout(10, async () => {
      try {
        await timeout(1_000, () => sleep(10_000));
      } catch (e) {
        seenInside = e;
        throw e;
      }
    })
  );
  await advance(time, 10);
  const outerError = await second;
  assertInstanceOf(seenInside, CancelledError);
  assertFalse(seenInside instanceof TimeoutError);
  assertInstanceOf(outerError, TimeoutError);
  assertEquals(pendingTimers(), 0);
});

Deno.test("nested timeouts with the same deadline: the outer one reports the timeout", async () => {
  using time = new FakeTime();
  let seenInside: unknown;
  const pending = caught(() =>
    timeout(10, async () => {
      try {
        await timeout(10, () => sleep(10_000));
      } catch (e) {
        seenInside = e;
        throw e;
      }
    })
  );
  await advance(time, 10);
  assertInstanceOf(await pending, TimeoutError);
  // The inner scope also expired, but the outer cancellation reached it too;
  // it must not hand the outer scope a TimeoutError (not a cancellation).
  assert(seenInside instanceof CancelledError);
});

Deno.test("an outer cancellation inside `timeout` stays CancelledError", async () => {
  await run(async () => {
    const started = deferred();
    const task = createTask(() =>
      timeout(10_000, async () => {
        started.resolve();
        await sleep(10_000);
      })
    );
    await started.promise;
    task.cancel("outer");
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "outer");
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("`timeout`: work that swallows the expiry and returns a value still throws TimeoutError", async () => {
  // DESIGN "a late result is not a result": once the deadline passed, the
  // body's value is discarded, however the body got out.
  const error = await caught(() =>
    timeout(1, async (scope) => {
      try {
        await sleep(10_000);
      } catch {
        return scope.expired ? "gave up gracefully" : "no";
      }
    })
  );
  assertInstanceOf(error, TimeoutError);
});

Deno.test("`timeout` passes a non-cancellation error through unchanged", async () => {
  const boom = new Error("boom");
  const error = await caught(() =>
    timeout(1_000, () => {
      throw boom;
    })
  );
  assertStrictEquals(error, boom);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`TimeoutScope.reschedule` moves the deadline later, earlier, or removes it", async () => {
  using time = new FakeTime();
  // Later: survives past the original deadline.
  const later = timeout(10, async (scope) => {
    scope.reschedule(scope.deadline + 100);
    await sleep(50);
    return "extended";
  });
  await advance(time, 50);
  assertEquals(await later, "extended");

  // Removed: no deadline at all.
  const never = timeout(10, async (scope) => {
    scope.reschedule(Infinity);
    assertEquals(scope.deadline, Infinity);
    await sleep(1_000);
    return "unlimited";
  });
  await advance(time, 1_000);
  assertEquals(await never, "unlimited");

  // Earlier, in the past: expires at once.
  const past = caught(() =>
    timeout(10_000, async (scope) => {
      scope.reschedule(time.now - 1);
      assert(scope.expired);
      await checkpoint();
    })
  );
  await advance(time, 0);
  assertInstanceOf(await past, TimeoutError);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`TimeoutScope.reschedule` after expiry or after leaving throws InvalidStateError; NaN is a TypeError", async () => {
  let saved: TimeoutScope | undefined;
  await timeout(1_000, (scope) => {
    saved = scope;
    assertThrows(() => scope.reschedule(NaN), TypeError);
    assertThrows(
      () => scope.reschedule("5" as unknown as number),
      TypeError,
    );
  });
  assertThrows(() => saved!.reschedule(Date.now() + 5), InvalidStateError);
  await caught(() =>
    timeout(0, async (scope) => {
      assertThrows(() => scope.reschedule(Infinity), InvalidStateError);
      await checkpoint();
    })
  );
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeoutAt` expires at an absolute deadline on the loop's clock", async () => {
  using time = new FakeTime();
  const pending = run(async () => {
    const loop = getRunningLoop();
    const ok = await timeoutAt(loop.time() + 100, () => sleep(50, "ok"));
    const error = await caught(() =>
      timeoutAt(loop.time() + 100, () => sleep(1_000))
    );
    return [ok, error];
  });
  await advance(time, 50);
  await advance(time, 100);
  const [ok, error] = await pending;
  assertEquals(ok, "ok");
  assertInstanceOf(error, TimeoutError);
});

Deno.test("`timeoutAt` with a deadline already passed expires at once", async () => {
  const error = await caught(() =>
    timeoutAt(0, async () => {
      await sleep(10_000);
    })
  );
  assertInstanceOf(error, TimeoutError);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` expiry cancels a task group inside it, children included", async () => {
  using time = new FakeTime();
  const cancelled: string[] = [];
  const pending = caught(() =>
    timeout(20, () =>
      taskGroup((tg) => {
        for (const name of ["a", "b"]) {
          tg.createTask(async () => {
            try {
              await sleep(10_000);
            } catch (e) {
              if (e instanceof CancelledError) cancelled.push(name);
              throw e;
            }
          });
        }
      }))
  );
  await advance(time, 20);
  assertInstanceOf(await pending, TimeoutError);
  assertEquals(cancelled.sort(), ["a", "b"]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` and `timeoutAt` reject bad input with TypeError and leave nothing running", async () => {
  let ran = false;
  const fn = () => {
    ran = true;
  };
  for (const bad of [NaN, "10", undefined, {}]) {
    assertInstanceOf(
      await caught(() => timeout(bad as unknown as number, fn)),
      TypeError,
    );
    assertInstanceOf(
      await caught(() => timeoutAt(bad as unknown as number, fn)),
      TypeError,
    );
    assertInstanceOf(
      await caught(() => moveOnAfter(bad as unknown as number, fn)),
      TypeError,
    );
  }
  for (const bad of [undefined, null, 5, "fn", Promise.resolve()]) {
    const notFn = bad as unknown as () => void;
    assertInstanceOf(await caught(() => timeout(10, notFn)), TypeError);
    assertInstanceOf(await caught(() => timeoutAt(10, notFn)), TypeError);
    assertInstanceOf(await caught(() => moveOnAfter(10, notFn)), TypeError);
  }
  assertFalse(ran);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`moveOnAfter` returns the value in time and undefined on expiry", async () => {
  using time = new FakeTime();
  let expired: boolean | undefined;
  const late = moveOnAfter(10, async (scope) => {
    try {
      return await sleep(1_000, "late");
    } finally {
      expired = scope.expired;
    }
  });
  await advance(time, 10);
  assertEquals(await late, undefined);
  assertEquals(expired, true);
  const soon = moveOnAfter(10, () => sleep(5, "soon"));
  await advance(time, 5);
  assertEquals(await soon, "soon");
  assertEquals(pendingTimers(), 0);
});

Deno.test("`moveOnAfter` lets an outer cancellation through as CancelledError", async () => {
  await run(async () => {
    const started = deferred();
    const task = createTask(() =>
      moveOnAfter(10_000, async () => {
        started.resolve();
        await sleep(10_000);
      })
    );
    await started.promise;
    task.cancel();
    assertInstanceOf(await caught(() => task), CancelledError);
  });
});

Deno.test("`moveOnAfter` passes errors through and expires at once for a negative delay", async () => {
  const boom = new Error("boom");
  assertStrictEquals(
    await caught(() =>
      moveOnAfter(1_000, () => {
        throw boom;
      })
    ),
    boom,
  );
  assertEquals(await moveOnAfter(-5, () => sleep(1_000, "x")), undefined);
  assertEquals(pendingTimers(), 0);
});

Deno.test("an outer timeout that expires inside `moveOnAfter` is still a TimeoutError outside", async () => {
  using time = new FakeTime();
  let inner: unknown = "not set";
  const pending = caught(() =>
    timeout(10, async () => {
      inner = await moveOnAfter(1_000, () => sleep(10_000));
      return inner;
    })
  );
  await advance(time, 10);
  assertInstanceOf(await pending, TimeoutError);
  // moveOnAfter did not swallow a cancellation that was not its own.
  assertEquals(inner, "not set");
});

Deno.test("`timeout`, `timeoutAt` and `moveOnAfter` discard a late value from a plain promise", async () => {
  // The body awaits a plain promise aio cannot interrupt: it comes back
  // after the deadline, and its value must not pass for an on-time result.
  const late = () =>
    new Promise<string>((r) => setTimeout(() => r("late"), 60));
  const t0 = performance.now();
  assertInstanceOf(await caught(() => timeout(10, late)), TimeoutError);
  assert(
    performance.now() - t0 >= 50,
    "timeout() waits for the body to settle",
  );
  assertInstanceOf(
    await caught(() => timeoutAt(now() + 10, late)),
    TimeoutError,
  );
  assertEquals(await moveOnAfter(10, late), undefined);
  // An on-time value still comes through.
  assertEquals(await timeout(1_000, late), "late");
});

Deno.test("`timeout`: a non-cancellation error wins over the expired deadline", async () => {
  const boom = new Error("boom");
  const error = await caught(() =>
    timeout(5, async () => {
      await new Promise((r) => setTimeout(r, 30));
      throw boom;
    })
  );
  assertStrictEquals(error, boom);
});

Deno.test("`timeout(null)`, `timeout(Infinity)` and `reschedule(null)` mean no deadline", async () => {
  assertEquals(await timeout(null, () => sleep(5, "a")), "a");
  assertEquals(await timeout(Infinity, () => sleep(5, "b")), "b");
  assertEquals(await timeoutAt(null, () => sleep(5, "c")), "c");
  assertEquals(await moveOnAfter(null, () => sleep(5, "d")), "d");
  const value = await timeout(5, async (scope) => {
    scope.reschedule(null);
    assertEquals(scope.deadline, Infinity);
    return await sleep(30, "e");
  });
  assertEquals(value, "e");
  assertEquals(pendingTimers(), 0);
});

Deno.test("`timeout` in debug mode warns about a body that ran past its deadline", async () => {
  const warnings: DebugWarning[] = [];
  await run(async () => {
    await moveOnAfter(5, () => new Promise((r) => setTimeout(r, 40)));
  }, {
    debug: { onWarning: (w) => warnings.push(w), blockedThresholdMs: 10_000 },
  });
  const late = warnings.filter((w) => w.kind === "late");
  assertEquals(late.length, 1);
  assertMatch(
    late[0].message,
    /moveOnAfter\(\) in Task "main".*timeout_test\.ts:\d+:\d+ kept running past its deadline/,
  );
});

Deno.test("`currentDeadline()` is the earliest deadline of the timeouts around, stopped by a shield", async () => {
  const { currentDeadline } = await import("../lib/timeout.ts");
  const { shield } = await import("@seed/aio");
  await run(async () => {
    assertEquals(currentDeadline(), Infinity);
    await timeout(5_000, async (outer) => {
      await timeout(60_000, async () => {
        // The inner deadline is later: the outer one still binds.
        assertEquals(currentDeadline(), outer.deadline);
        await shield(() => {
          assertEquals(currentDeadline(), Infinity);
        }, { wait: true });
      });
      await timeout(10, (inner) => {
        assertEquals(currentDeadline(), inner.deadline);
      });
    });
  });
});
