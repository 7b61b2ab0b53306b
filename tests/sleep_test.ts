// `sleep` and `checkpoint` (lib/sleep.ts).

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { CancelledError, checkpoint, createTask, run, sleep } from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

Deno.test("`sleep` returns its value after the delay", async () => {
  assertEquals(await sleep(1, "value"), "value");
  assertEquals(await sleep(0), undefined);
  const object = { a: 1 };
  assertStrictEquals(await sleep(0, object), object);
});

Deno.test("`sleep` with a negative delay yields once and returns", async () => {
  const order: string[] = [];
  const other = (async () => {
    await Promise.resolve();
    order.push("other");
  })();
  assertEquals(await sleep(-5, "v"), "v");
  order.push("sleeper");
  await other;
  // It yielded to the event loop: the other work ran first.
  assertEquals(order, ["other", "sleeper"]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`checkpoint` yields to other tasks", async () => {
  await run(async () => {
    const order: string[] = [];
    const task = createTask(() => {
      order.push("task");
    });
    order.push("before");
    await checkpoint();
    order.push("after");
    await task;
    assertEquals(order, ["before", "task", "after"]);
  });
});

Deno.test("`sleep` rejects NaN and non-numbers with TypeError and schedules nothing", () => {
  for (const bad of [NaN, "5", undefined, null, {}, 5n]) {
    let error: unknown;
    try {
      sleep(bad as unknown as number);
    } catch (e) {
      error = e;
    }
    assertInstanceOf(error, TypeError);
    assert((error as Error).message.includes("sleep()"));
  }
  assertEquals(pendingTimers(), 0);
});

Deno.test("`sleep(Infinity)` waits until cancelled", async () => {
  await run(async () => {
    const started = deferred();
    const task = createTask(async () => {
      started.resolve();
      await sleep(Infinity);
    });
    await started.promise;
    task.cancel();
    assertInstanceOf(await caught(() => task), CancelledError);
    assertEquals(pendingTimers(), 0);
  });
});

Deno.test("cancelling a sleeping task releases its timer at once", async () => {
  await run(async () => {
    const started = deferred();
    const task = createTask(async () => {
      started.resolve();
      await sleep(60_000);
    });
    await started.promise;
    assertEquals(pendingTimers(), 1);
    task.cancel();
    assertEquals(pendingTimers(), 0);
    await caught(() => task);
  });
});

Deno.test("`sleep` outside run is not cancellable and still works", async () => {
  assertEquals(await sleep(1, 1), 1);
  await checkpoint();
  await assertRejects(async () => {
    await sleep("x" as unknown as number);
  }, TypeError);
});
