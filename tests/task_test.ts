import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  allTasks,
  CancelledError,
  checkpoint,
  createTask,
  currentSignal,
  currentTask,
  Future,
  InvalidStateError,
  run,
  sleep,
  Task,
  taskGroup,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred, flushMicrotasks } from "./_helpers.ts";

Deno.test("`Task` is awaitable and reports its result", async () => {
  await run(async () => {
    const task = createTask(async () => {
      await sleep(1);
      return 42;
    }, { name: "answer" });
    assertInstanceOf(task, Task);
    assertEquals(task.name, "answer");
    assertFalse(task.done());
    assertEquals(await task, 42);
    assert(task.done());
    assertFalse(task.cancelled());
    assertEquals(task.result(), 42);
    assertEquals(task.exception(), undefined);
  });
});

Deno.test("`Task` gets a default name of the form Task-N", async () => {
  await run(async () => {
    const a = createTask(() => 1);
    const b = createTask(() => 2);
    assertMatch(a.name, /^Task-\d+$/);
    assertMatch(b.name, /^Task-\d+$/);
    // Names must tell tasks apart in messages and traces.
    assert(a.name !== b.name);
    await a;
    await b;
  });
});

Deno.test("`Task` that throws exposes the error through exception() and result()", async () => {
  await run(async () => {
    const boom = new Error("boom");
    const task = createTask(() => {
      throw boom;
    });
    assertStrictEquals(await caught(() => task), boom);
    assertStrictEquals(task.exception(), boom);
    assertStrictEquals(assertThrows(() => task.result()), boom);
    assertFalse(task.cancelled());
  });
});

Deno.test("`Task.result()` and `exception()` on a pending task throw InvalidStateError", async () => {
  await run(async () => {
    const gate = deferred();
    const task = createTask(() => gate.promise);
    assertThrows(() => task.result(), InvalidStateError);
    assertThrows(() => task.exception(), InvalidStateError);
    gate.resolve();
    await task;
  });
});

Deno.test("`Task.setResult` and `setException` are refused: a task sets its own outcome", async () => {
  await run(async () => {
    const task = createTask(() => 1);
    assertThrows(() => task.setResult(2), InvalidStateError);
    assertThrows(() => task.setException(new Error("x")), InvalidStateError);
    assertEquals(await task, 1);
  });
});

Deno.test("`createTask` starts lazily: the body runs on a later turn", async () => {
  await run(async () => {
    let ran = false;
    const task = createTask(() => {
      ran = true;
    });
    assertFalse(ran);
    assertFalse(task.started());
    await task;
    assert(ran);
    assert(task.started());
  });
});

Deno.test("`Task` cancelled before it starts never runs its body", async () => {
  await run(async () => {
    let ran = false;
    let finallyRan = false;
    const task = createTask(async () => {
      try {
        ran = true;
        await sleep(1);
      } finally {
        finallyRan = true;
      }
    });
    assert(task.cancel("early"));
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "early");
    assertFalse(ran);
    assertFalse(finallyRan);
    assert(task.cancelled());
    assertFalse(task.started());
  });
});

Deno.test("`Task` that caught its cancellation and returned a value completes with it", async () => {
  await run(async () => {
    const sleeping = deferred();
    const task = createTask(async () => {
      try {
        sleeping.resolve();
        await sleep(10_000);
        return "not reached";
      } catch (error) {
        assertInstanceOf(error, CancelledError);
        return "recovered";
      }
    });
    await sleeping.promise;
    task.cancel();
    assertEquals(await task, "recovered");
    assertFalse(task.cancelled());
    assertEquals(task.result(), "recovered");
  });
});

Deno.test("`Task` asked to cancel that returns without reaching a cancellation point ends cancelled", async () => {
  await run(async () => {
    const gate = deferred();
    const started = deferred();
    const task = createTask(async () => {
      started.resolve();
      // A raw promise is not a cancellation point.
      await gate.promise;
      return "value";
    });
    await started.promise;
    task.cancel("stop");
    gate.resolve();
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "stop");
    assert(task.cancelled());
    assertThrows(() => task.result(), CancelledError);
    assertThrows(() => task.exception(), CancelledError);
  });
});

Deno.test("`Task.cancel` returns false once the task is done", async () => {
  await run(async () => {
    const task = createTask(() => "x");
    await task;
    assertFalse(task.cancel());
    assertFalse(task.cancelled());
    assertEquals(task.result(), "x");
  });
});

Deno.test("`Task.signal` aborts on cancel with the CancelledError carrying the reason", async () => {
  await run(async () => {
    const seen = deferred<AbortSignal>();
    const task = createTask(async (signal) => {
      seen.resolve(signal);
      await sleep(10_000);
    });
    const signal = await seen.promise;
    assertStrictEquals(signal, task.signal);
    assertFalse(signal.aborted);
    task.cancel("because");
    assert(signal.aborted);
    assertInstanceOf(signal.reason, CancelledError);
    assertEquals(signal.reason.reason, "because");
    await caught(() => task);
  });
});

Deno.test("`currentTask` names the running task, and is undefined outside run", async () => {
  assertEquals(currentTask(), undefined);
  await run(async () => {
    const main = currentTask();
    assert(main !== undefined);
    let seen: Task<unknown> | undefined;
    const task = createTask(() => {
      seen = currentTask();
    }, { name: "inner" });
    await task;
    assertStrictEquals(seen, task);
    // After awaiting, the caller is still its own current task.
    assertStrictEquals(currentTask(), main);
    await taskGroup(() => {
      // A task group's body runs in the task that opened it.
      assertStrictEquals(currentTask(), main);
    });
  });
});

Deno.test("`allTasks` lists the live tasks of the current run only", async () => {
  assertEquals(allTasks(), []);
  await run(async () => {
    const gate = deferred();
    const a = createTask(() => gate.promise, { name: "a" });
    const b = createTask(() => gate.promise, { name: "b" });
    await checkpoint();
    const names = allTasks().map((t) => t.name).sort();
    assertEquals(names, ["a", "b", "main"]);
    gate.resolve();
    await a;
    await b;
    assertEquals(allTasks().map((t) => t.name), ["main"]);
  });
});

Deno.test("`currentSignal` is the current scope's signal and never aborts outside run", async () => {
  const outside = currentSignal();
  assertFalse(outside.aborted);
  await run(async () => {
    const started = deferred();
    const task = createTask(async (signal) => {
      assertStrictEquals(currentSignal(), signal);
      started.resolve();
      await sleep(10_000);
    });
    await started.promise;
    task.cancel();
    await caught(() => task);
    assert(task.signal.aborted);
    assertFalse(currentSignal().aborted);
  });
});

Deno.test("awaiting a task from itself throws InvalidStateError instead of hanging", async () => {
  await run(async () => {
    let self: Task<unknown> | undefined;
    const task: Task<unknown> = createTask(async () => {
      self = currentTask();
      const error = await caught(async () => await self!);
      assertInstanceOf(error, InvalidStateError);
      return "survived";
    });
    assertEquals(await task, "survived");
  });
});

Deno.test("a cancelled awaiter cancels the awaited task and waits for it to unwind", async () => {
  await run(async () => {
    const events: string[] = [];
    const innerStarted = deferred();
    const inner = createTask(async () => {
      try {
        innerStarted.resolve();
        await sleep(10_000);
      } finally {
        // The unwinding takes a turn: the awaiter must wait for it.
        await Promise.resolve();
        events.push("inner finally");
      }
    });
    const outer = createTask(async () => {
      try {
        await inner;
      } finally {
        events.push("outer finally");
      }
    });
    await innerStarted.promise;
    await checkpoint();
    outer.cancel("stop");
    await caught(() => outer);
    assert(inner.cancelled());
    assertEquals(events, ["inner finally", "outer finally"]);
  });
});

Deno.test("`createTask` outside run and any task group throws InvalidStateError", () => {
  assertThrows(() => createTask(() => 1), InvalidStateError, "run()");
});

Deno.test("`createTask` rejects bad input with TypeError and leaves nothing running", async () => {
  await run(() => {
    for (const bad of [undefined, null, 42, "fn", {}, Promise.resolve()]) {
      assertThrows(
        () => createTask(bad as unknown as () => void),
        TypeError,
        "function",
      );
    }
    for (const bad of [null, 5, "name"]) {
      assertThrows(
        () => createTask(() => 1, bad as unknown as { name: string }),
        TypeError,
        "options",
      );
    }
    assertThrows(
      () => createTask(() => 1, { name: 7 as unknown as string }),
      TypeError,
      "name",
    );
    assertEquals(allTasks().length, 1);
  });
  assertEquals(pendingTimers(), 0);
});

Deno.test("a task's synchronous throw becomes its exception, not the caller's", async () => {
  await run(async () => {
    const task = createTask(() => {
      throw new RangeError("sync");
    });
    await flushMicrotasks();
    assert(task.done());
    assertInstanceOf(task.exception(), RangeError);
    await assertRejects(() => Promise.resolve(task), RangeError);
  });
});

Deno.test("`Task.describe` names the task for messages", async () => {
  await run(async () => {
    const task = createTask(() => 1, { name: "worker" });
    assertEquals(task.describe(), 'Task "worker"');
    await task;
  });
});

Deno.test("a task whose function returns a Future is cancelled through it", async () => {
  await run(async () => {
    const inner = new Future<number>();
    const task = createTask(() => inner);
    await sleep(1);
    task.cancel("stop");
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assert(task.cancelled());
    // Awaiting a Future as a cancellation point cancels it too (asyncio).
    assert(inner.cancelled());
  });
});

Deno.test("two tasks awaiting each other get InvalidStateError instead of hanging", async () => {
  await run(async () => {
    const tasks: Task<unknown>[] = [];
    const a = createTask(async () => {
      await sleep(1);
      return await tasks[0];
    }, { name: "a" });
    const b = createTask(async () => {
      await sleep(1);
      return await a;
    }, { name: "b" });
    tasks.push(b);
    const outcomes = await Promise.allSettled([a, b]);
    for (const outcome of outcomes) {
      assertEquals(outcome.status, "rejected");
      const reason = (outcome as PromiseRejectedResult).reason;
      assertInstanceOf(reason, InvalidStateError);
      assertMatch((reason as Error).message, /await cycle/);
    }
  });
});

Deno.test("an await cycle through three tasks is found, and a chain that is no cycle is not", async () => {
  await run(async () => {
    const tasks: Task<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      tasks.push(createTask(async () => {
        await sleep(1);
        return await tasks[(i + 1) % 3];
      }));
    }
    const outcomes = await Promise.allSettled(tasks);
    assert(outcomes.every((o) => o.status === "rejected"));
    // A plain chain: each awaits the previous, the first returns.
    let previous: Task<unknown> = createTask(() => sleep(5, "end"));
    for (let i = 0; i < 50; i++) {
      const awaited = previous;
      previous = createTask(() => awaited);
    }
    assertEquals(await previous, "end");
  });
});

Deno.test("a `Task` is a `Promise<T>` to the type checker: it can be returned where one is expected", async () => {
  // This file would not type-check if Task lacked Symbol.toStringTag.
  const asPromise = (task: Task<number>): Promise<number> => task;
  const handler = (): Promise<number> =>
    taskGroup((tg) => tg.createTask(() => sleep(1, 7)));
  await run(async () => {
    const task = createTask(() => sleep(1, 5));
    assertEquals(Object.prototype.toString.call(task), "[object Task]");
    assertEquals(await asPromise(task), 5);
    assertEquals(await handler(), 7);
  });
  assertEquals(
    Object.prototype.toString.call(new Future()),
    "[object Future]",
  );
});
