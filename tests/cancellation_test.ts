import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStrictEquals,
} from "@std/assert";
import {
  CancelledError,
  checkpoint,
  createTask,
  Future,
  isCancelled,
  run,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

Deno.test("cancellation is level-triggered: every later cancellation point throws too", async () => {
  await run(async () => {
    const started = deferred();
    const seen: string[] = [];
    const future = new Future<number>();
    const finishedTask = createTask(() => "ready");
    await finishedTask;
    const task = createTask(async () => {
      started.resolve();
      const attempt = async (name: string, fn: () => unknown) => {
        try {
          await fn();
          seen.push(`${name} returned`);
        } catch (e) {
          seen.push(`${name} ${(e as Error).name}`);
        }
      };
      await attempt("sleep", () => sleep(10_000));
      await attempt("sleep again", () => sleep(0));
      await attempt("checkpoint", () => checkpoint());
      await attempt("future", async () => await future);
      await attempt("task", async () => await finishedTask);
      await attempt("group", () => taskGroup(() => {}));
      return "caught them all";
    });
    await started.promise;
    task.cancel("stop");
    // The task caught its (delivered) cancellation and returned a value.
    assertEquals(await task, "caught them all");
    assertEquals(seen, [
      "sleep CancelledError",
      "sleep again CancelledError",
      "checkpoint CancelledError",
      "future CancelledError",
      "task CancelledError",
      "group CancelledError",
    ]);
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("`CancelledError` carries the reason given to cancel()", async () => {
  await run(async () => {
    const reason = { why: "shutdown" };
    const started = deferred();
    const task = createTask(async () => {
      started.resolve();
      await sleep(10_000);
    });
    await started.promise;
    task.cancel(reason);
    // A second cancel does not replace the first reason.
    assert(task.cancel("other"));
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assertStrictEquals(error.reason, reason);
    assertEquals(error.name, "CancelledError");
  });
});

Deno.test("`CancelledError` has a default message and a string reason becomes the message", () => {
  const plain = new CancelledError();
  assertEquals(plain.reason, undefined);
  assert(plain.message.length > 0);
  assertEquals(new CancelledError("bye").message, "bye");
  assertInstanceOf(plain, Error);
});

Deno.test("`isCancelled` recognizes CancelledError and AbortError only", () => {
  assert(isCancelled(new CancelledError()));
  assert(isCancelled(new DOMException("aborted", "AbortError")));
  assertFalse(isCancelled(new DOMException("t", "TimeoutError")));
  assertFalse(isCancelled(new Error("x")));
  assertFalse(isCancelled(new TimeoutError()));
  assertFalse(isCancelled("CancelledError"));
  assertFalse(isCancelled(undefined));
});

Deno.test("a task whose signal-aware API throws AbortError on cancel ends cancelled", async () => {
  await run(async () => {
    const started = deferred();
    const task = createTask((signal) => {
      started.resolve();
      // What fetch() does with an aborted signal.
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          reject(new DOMException("The signal has been aborted", "AbortError"));
        });
      });
    });
    await started.promise;
    task.cancel();
    await caught(() => task);
    assert(task.cancelled());
  });
});

Deno.test("an AbortError not caused by the task's cancellation is an ordinary failure", async () => {
  await run(async () => {
    const task = createTask(() => {
      throw new DOMException("someone else's signal", "AbortError");
    });
    await caught(() => task);
    assertFalse(task.cancelled());
    assertInstanceOf(task.exception(), DOMException);
  });
});

Deno.test("cancellation reaches the leaves of nested groups", async () => {
  await run(async () => {
    const leaves: string[] = [];
    let ready = 0;
    const allReady = deferred();
    const leaf = (name: string) => async () => {
      try {
        if (++ready === 4) allReady.resolve();
        await sleep(10_000);
      } finally {
        leaves.push(name);
      }
    };
    const root = createTask(() =>
      taskGroup((a) => {
        a.createTask(leaf("a1"));
        a.createTask(() =>
          taskGroup((b) => {
            b.createTask(leaf("b1"));
            b.createTask(() =>
              taskGroup((c) => {
                c.createTask(leaf("c1"));
                c.createTask(leaf("c2"));
              })
            );
          })
        );
      })
    );
    await allReady.promise;
    root.cancel();
    assertInstanceOf(await caught(() => root), CancelledError);
    assertEquals(leaves.sort(), ["a1", "b1", "c1", "c2"]);
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("leaving a cancelled scope ends the cancellation: later points work again", async () => {
  await run(async () => {
    const error = await caught(() =>
      timeout(1, async () => {
        try {
          await sleep(10_000);
        } catch {
          // Still inside the expired scope: level-triggered.
          await sleep(0);
        }
      })
    );
    assertInstanceOf(error, TimeoutError);
    // Outside the scope the task is not cancelled.
    assertEquals(await sleep(1, "fine"), "fine");
    await checkpoint();
  });
});

Deno.test("a body that swallows its group's cancellation still cannot block on cancellation points", async () => {
  const events: string[] = [];
  await taskGroup(async (tg) => {
    tg.cancel();
    try {
      await sleep(10_000);
    } catch {
      events.push("first");
    }
    try {
      await checkpoint();
    } catch {
      events.push("second");
    }
  });
  assertEquals(events, ["first", "second"]);
});

Deno.test("a task that caught its cancellation cannot wait inside `timeout`: the cancellation persists", async () => {
  // asyncio lets a task that swallowed CancelledError go on and time out
  // normally; level-triggered cancellation keeps every point throwing.
  await run(async () => {
    const started = deferred();
    const task = createTask(async () => {
      try {
        started.resolve();
        await sleep(10_000);
      } catch {
        // swallowed
      }
      return await caught(() => timeout(10_000, () => sleep(1)));
    });
    await started.promise;
    task.cancel();
    const inner = await task;
    assertInstanceOf(inner, CancelledError);
    assertEquals(pendingTimers(), 0);
  });
});
