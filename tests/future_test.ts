import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  Future,
  getRunningLoop,
  InvalidStateError,
  run,
  sleep,
} from "@seed/aio";
import { caught, deferred } from "./_helpers.ts";

Deno.test("`Future.setResult` completes it and wakes awaiters", async () => {
  const future = new Future<number>();
  assertFalse(future.done());
  const waiting = Promise.resolve(future);
  future.setResult(7);
  assert(future.done());
  assertFalse(future.cancelled());
  assertEquals(future.result(), 7);
  assertEquals(future.exception(), undefined);
  assertEquals(await waiting, 7);
  // A done future can be awaited any number of times.
  assertEquals(await future, 7);
});

Deno.test("`Future.setException` makes awaiters and result() throw it", async () => {
  const future = new Future<number>();
  const boom = new Error("boom");
  future.setException(boom);
  assert(future.done());
  assertStrictEquals(future.exception(), boom);
  assertStrictEquals(assertThrows(() => future.result()), boom);
  assertStrictEquals(await caught(() => future), boom);
});

Deno.test("`Future.cancel` ends it cancelled with the reason; a second cancel is refused", async () => {
  const future = new Future<string>();
  assert(future.cancel("enough"));
  assert(future.done());
  assert(future.cancelled());
  assertFalse(future.cancel());
  const error = assertThrows(() => future.result(), CancelledError);
  assertEquals(error.reason, "enough");
  assertThrows(() => future.exception(), CancelledError);
  const awaited = await caught(() => future);
  assertInstanceOf(awaited, CancelledError);
  assertEquals(awaited.reason, "enough");
});

Deno.test("`Future` misuse throws InvalidStateError", () => {
  const pending = new Future<number>();
  assertThrows(() => pending.result(), InvalidStateError, "not done");
  assertThrows(() => pending.exception(), InvalidStateError, "not done");
  const done = new Future<number>();
  done.setResult(1);
  assertThrows(() => done.setResult(2), InvalidStateError, "already done");
  assertThrows(
    () => done.setException(new Error("x")),
    InvalidStateError,
    "already done",
  );
  assertEquals(done.result(), 1);
  const cancelled = new Future<number>();
  cancelled.cancel();
  assertThrows(() => cancelled.setResult(1), InvalidStateError);
  assertFalse(done.cancel());
});

Deno.test("`Future.setException` refuses a CancelledError: cancel() is the way", () => {
  const future = new Future();
  assertThrows(
    () => future.setException(new CancelledError()),
    TypeError,
    "cancel()",
  );
  assertFalse(future.done());
});

Deno.test("`Future.addDoneCallback` runs callbacks in order, once, with the future", () => {
  const future = new Future<number>();
  const calls: string[] = [];
  future.addDoneCallback((f) => {
    assertStrictEquals(f, future);
    calls.push(`a:${f.result()}`);
  });
  future.addDoneCallback(() => calls.push("b"));
  assertEquals(calls, []);
  future.setResult(3);
  assertEquals(calls, ["a:3", "b"]);
  // Registered after completion: runs at once.
  future.addDoneCallback(() => calls.push("late"));
  assertEquals(calls, ["a:3", "b", "late"]);
});

Deno.test("`Future.removeDoneCallback` removes every registration and counts them", () => {
  const future = new Future();
  const calls: string[] = [];
  const cb = (): void => {
    calls.push("cb");
  };
  future.addDoneCallback(cb);
  future.addDoneCallback(() => calls.push("other"));
  future.addDoneCallback(cb);
  assertEquals(future.removeDoneCallback(cb), 2);
  assertEquals(future.removeDoneCallback(cb), 0);
  future.setResult(undefined);
  assertEquals(calls, ["other"]);
});

Deno.test("`Future.addDoneCallback` rejects a non-function with TypeError", () => {
  const future = new Future();
  for (const bad of [undefined, null, 1, "x", {}]) {
    assertThrows(
      () => future.addDoneCallback(bad as unknown as () => void),
      TypeError,
      "function",
    );
  }
});

Deno.test("a throwing done callback is reported once to the loop and does not stop the others", async () => {
  const calls: string[] = [];
  const reported: unknown[] = [];
  await run(() => {
    const loop = getRunningLoop();
    loop.setExceptionHandler((error, context) => {
      reported.push(error);
      assertMatch(context.message, /done callback/);
    });
    const future = loop.createFuture<number>();
    future.addDoneCallback(() => {
      throw new Error("bad callback");
    });
    future.addDoneCallback(() => calls.push("second"));
    future.setResult(1);
    // Added after it is done: called at once, and its throw is reported too.
    future.addDoneCallback(() => {
      throw new Error("late callback");
    });
  });
  assertEquals(calls, ["second"]);
  assertEquals(reported.map((e) => (e as Error).message), [
    "bad callback",
    "late callback",
  ]);
});

Deno.test("a throwing exception handler does not kill the process and hides no error", async () => {
  // Runs in a child: if it were broken, the uncaught error would kill it.
  const code = `
    import { Future, getRunningLoop, run } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    await run(() => {
      getRunningLoop().setExceptionHandler(() => { throw new Error("handler broke"); });
      const f = new Future();
      f.addDoneCallback(() => { throw new Error("callback broke"); });
      f.setResult(1);
    });
    console.log("survived");
  `;
  const { code: exit, stdout, stderr } = await new Deno.Command(
    Deno.execPath(),
    {
      args: ["eval", code],
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const out = new TextDecoder().decode(stdout);
  const err = new TextDecoder().decode(stderr);
  assertEquals(exit, 0, err);
  assertEquals(out.trim(), "survived");
  assertMatch(err, /callback broke/);
  assertMatch(err, /handler broke/);
});

Deno.test("`Future` supports catch() and finally() like a promise", async () => {
  const failing = new Future<number>();
  failing.setException(new Error("x"));
  assertEquals(await failing.catch((e) => (e as Error).message), "x");
  const ok = new Future<number>();
  ok.setResult(2);
  let cleaned = false;
  assertEquals(await ok.finally(() => (cleaned = true)), 2);
  assert(cleaned);
});

Deno.test("awaiting a Future is a cancellation point: the awaiter's cancel cancels the future", async () => {
  await run(async () => {
    const future = new Future<number>();
    const waiting = deferred();
    const task = createTask(async () => {
      waiting.resolve();
      return await future;
    });
    await waiting.promise;
    await sleep(0);
    task.cancel("no longer needed");
    const error = await caught(() => task);
    assertInstanceOf(error, CancelledError);
    assertEquals(error.reason, "no longer needed");
    // asyncio cancels the awaited future with its awaiter.
    assert(future.cancelled());
  });
});

Deno.test("awaiting a Future in an already cancelled task throws at once and cancels it", async () => {
  await run(async () => {
    const future = new Future<number>();
    const gate = deferred();
    const task = createTask(async () => {
      await gate.promise;
      return await future;
    });
    await sleep(0);
    task.cancel();
    gate.resolve();
    await caught(() => task);
    assert(task.cancelled());
    assert(future.cancelled());
  });
});

Deno.test("a Future set from a loop callback wakes a task", async () => {
  const value = await run(async () => {
    const future = new Future<string>();
    createTask(async () => {
      await sleep(1);
      future.setResult("ready");
    });
    return await future;
  });
  assertEquals(value, "ready");
});

Deno.test("`Future.describe` names it for messages", () => {
  assertEquals(new Future().describe(), "Future");
});
