// Event: ports the intent of CPython's test_locks.py EventTests.

import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  currentTask,
  Event,
  run,
  sleep,
  timeout,
  TimeoutError,
} from "@seed/aio";

const tick = (): Promise<undefined> => sleep(0);

Deno.test("`Event` set wakes every waiter, oldest first", async () => {
  await run(async () => {
    const event = new Event();
    assertFalse(event.isSet());
    const result: number[] = [];
    const waiter = (n: number) => async () => {
      if (await event.wait()) result.push(n);
    };
    const t1 = createTask(waiter(1));
    const t2 = createTask(waiter(2));
    await tick();
    assertEquals(result, []);
    assertEquals(event.waiting, 2);
    event.set();
    await tick();
    assertEquals(result, [1, 2]);
    await t1;
    await t2;
    assertEquals(event.waiting, 0);
  });
});

Deno.test("`Event` wait on a set event returns true at once", async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    assertStrictEquals(await event.wait(), true);
  });
});

Deno.test("`Event` cancelled waiter leaves the queue", async () => {
  await run(async () => {
    const event = new Event();
    const task = createTask(() => event.wait());
    await tick();
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assertEquals(event.waiting, 0);
    await assertRejects(() => timeout(2, () => event.wait()), TimeoutError);
    assertEquals(event.waiting, 0);
  });
});

Deno.test("`Event` clear resets the flag", () => {
  const event = new Event();
  event.set();
  assert(event.isSet());
  event.clear();
  assertFalse(event.isSet());
});

Deno.test("`Event` waiters woken by set stay woken after an immediate clear", async () => {
  await run(async () => {
    const event = new Event();
    const task = createTask(async () => await event.wait());
    await tick();
    event.set();
    event.clear();
    assertFalse(event.isSet());
    // A second set must not wake (or count) the same waiter twice.
    event.set();
    event.set();
    assertStrictEquals(await task, true);
    assertEquals(event.waiting, 0);
  });
});

Deno.test("`Event` wait after clear blocks until the next set", async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    event.clear();
    let woke = false;
    const task = createTask(async () => {
      await event.wait();
      woke = true;
    });
    await tick();
    assertFalse(woke);
    event.set();
    await task;
    assert(woke);
  });
});

Deno.test("`Event` wait is a cancellation point even when set", async () => {
  await run(async () => {
    const event = new Event();
    event.set();
    const task = createTask(() => {
      currentTask()!.cancel();
      return event.wait();
    });
    await assertRejects(() => task, CancelledError);
  });
});
