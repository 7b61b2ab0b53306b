import {
  assert,
  assertEquals,
  assertFalse,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  type EventLoop,
  Future,
  getRunningLoop,
  Handle,
  InvalidStateError,
  run,
  sleep,
  Task,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { deferred } from "./_helpers.ts";

async function advance(time: FakeTime, ms: number): Promise<void> {
  await time.tickAsync(ms);
  await time.runMicrotasks();
}

Deno.test("`getRunningLoop` outside run throws InvalidStateError", () => {
  assertThrows(() => getRunningLoop(), InvalidStateError, "run()");
});

Deno.test("`getRunningLoop` gives the same loop everywhere in one run, a new one per run", async () => {
  let first: EventLoop | undefined;
  await run(async () => {
    first = getRunningLoop();
    assert(first.isRunning());
    const task = new Promise<EventLoop>((resolve) =>
      first!.callSoon(() => resolve(getRunningLoop()))
    );
    assertStrictEquals(await task, first);
  });
  assertFalse(first!.isRunning());
  await run(() => {
    assert(getRunningLoop() !== first);
  });
});

Deno.test("`EventLoop.time` is a monotonic millisecond clock", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const a = loop.time();
    await sleep(5);
    const b = loop.time();
    // Generous: only that it moved forward about as much as we slept.
    assertGreaterOrEqual(b - a, 4);
    assert(b - a < 5_000);
  });
});

Deno.test("`EventLoop.time` follows FakeTime", async () => {
  using time = new FakeTime(5_000);
  await run(() => {
    const loop = getRunningLoop();
    assertEquals(loop.time(), 5_000);
    time.tick(250);
    assertEquals(loop.time(), 5_250);
  });
});

Deno.test("`callSoon` runs callbacks on a later turn, in order, with their arguments", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const calls: string[] = [];
    const done = deferred();
    loop.callSoon((a: string, b: number) => calls.push(`${a}${b}`), "x", 1);
    loop.callSoon(() => calls.push("second"));
    const handle = loop.callSoon(() => {
      calls.push("third");
      done.resolve();
    });
    assertInstanceOf(handle, Handle);
    assertEquals(calls, []);
    await done.promise;
    assertEquals(calls, ["x1", "second", "third"]);
  });
});

Deno.test("`callLater` and `callAt` run when the clock reaches them, in deadline order", async () => {
  using time = new FakeTime(1_000);
  const calls: string[] = [];
  const pending = run(async () => {
    const loop = getRunningLoop();
    const all = deferred();
    loop.callLater(30, () => calls.push("later 30"));
    const at = loop.callAt(loop.time() + 10, () => calls.push("at +10"));
    assertEquals(at.when(), 1_010);
    loop.callLater(20, () => {
      calls.push("later 20");
    });
    loop.callLater(40, () => all.resolve());
    await all.promise;
  });
  await advance(time, 9);
  assertEquals(calls, []);
  await advance(time, 1);
  assertEquals(calls, ["at +10"]);
  await advance(time, 30);
  await pending;
  assertEquals(calls, ["at +10", "later 20", "later 30"]);
});

Deno.test("`Handle.cancel` stops a callback from running", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let ran = false;
    const handle = loop.callLater(1, () => {
      ran = true;
    });
    assertFalse(handle.cancelled());
    handle.cancel();
    assert(handle.cancelled());
    handle.cancel();
    await sleep(5);
    assertFalse(ran);
    // Cancelling a handle that already ran is a no-op.
    const soon = loop.callSoon(() => {});
    await sleep(1);
    soon.cancel();
    assertFalse(soon.cancelled());
  });
});

Deno.test("callbacks still scheduled when run ends are dropped with their timers", async () => {
  let ran = false;
  let loop: EventLoop | undefined;
  await run(() => {
    loop = getRunningLoop();
    loop.callLater(60_000, () => {
      ran = true;
    });
    loop.callSoon(() => {
      ran = true;
    });
  });
  assertEquals(pendingTimers(), 0);
  await sleep(1);
  assertFalse(ran);
  assertThrows(() => loop!.callSoon(() => {}), InvalidStateError, "closed");
  assertThrows(() => loop!.createTask(() => 1), InvalidStateError, "closed");
});

Deno.test("a callback's error goes to the exception handler, and the loop goes on", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const seen: [unknown, string][] = [];
    loop.setExceptionHandler((error, context) =>
      seen.push([error, context.message])
    );
    const boom = new Error("callback failed");
    const after = deferred();
    loop.callSoon(() => {
      throw boom;
    });
    loop.callSoon(() => after.resolve());
    await after.promise;
    assertEquals(seen.length, 1);
    assertStrictEquals(seen[0][0], boom);
    assert(seen[0][1].length > 0);
  });
});

Deno.test("a callback's error is printed to stderr without a handler", async () => {
  const original = console.error;
  const lines: unknown[][] = [];
  console.error = (...args: unknown[]) => {
    lines.push(args);
  };
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const after = deferred();
      loop.callSoon(() => {
        throw new Error("printed");
      });
      loop.callSoon(() => after.resolve());
      await after.promise;
    });
  } finally {
    console.error = original;
  }
  assertEquals(lines.length, 1);
  assert(lines[0].some((part) => (part as Error)?.message === "printed"));
});

Deno.test("`EventLoop.createFuture` and `createTask` make root-owned futures and tasks", async () => {
  let cancelledAtEnd = false;
  await run(async () => {
    const loop = getRunningLoop();
    const future = loop.createFuture<string>();
    assertInstanceOf(future, Future);
    loop.callLater(1, () => future.setResult("called back"));
    assertEquals(await future, "called back");
    const task = loop.createTask(() => sleep(1, "task"), { name: "looped" });
    assertInstanceOf(task, Task);
    assertEquals(task.name, "looped");
    assertEquals(await task, "task");
    // A leftover loop task is cancelled when run ends, like any root task.
    loop.createTask(async () => {
      try {
        await sleep(60_000);
      } finally {
        cancelledAtEnd = true;
      }
    });
    await sleep(0);
  });
  assert(cancelledAtEnd);
});

Deno.test("loop callbacks run in the run's root scope", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const result = deferred<string>();
    loop.callSoon(() => {
      // Tasks can be started from a callback.
      const task = loop.createTask(() => sleep(1, "from callback"));
      task.then(result.resolve, result.reject);
    });
    assertEquals(await result.promise, "from callback");
  });
});

Deno.test("`EventLoop` methods reject bad input with TypeError and schedule nothing", async () => {
  await run(() => {
    const loop = getRunningLoop();
    const before = pendingTimers();
    const notFn = 5 as unknown as () => void;
    assertThrows(() => loop.callSoon(notFn), TypeError);
    assertThrows(() => loop.callLater(NaN, () => {}), TypeError);
    assertThrows(
      () => loop.callLater("5" as unknown as number, () => {}),
      TypeError,
    );
    assertThrows(() => loop.callLater(5, notFn), TypeError);
    assertThrows(
      () => loop.callAt(undefined as unknown as number, () => {}),
      TypeError,
    );
    assertThrows(() => loop.callAt(5, notFn), TypeError);
    assertThrows(() => loop.createTask(notFn), TypeError);
    assertThrows(
      () => loop.createTask(() => 1, 5 as unknown as { name: string }),
      TypeError,
    );
    assertThrows(
      () =>
        loop.setExceptionHandler(
          "x" as unknown as (error: unknown) => void,
        ),
      TypeError,
    );
    assertEquals(pendingTimers(), before);
  });
  assertEquals(pendingTimers(), 0);
});
