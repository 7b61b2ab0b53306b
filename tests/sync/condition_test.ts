// Condition: ports the intent of CPython's test_locks.py ConditionTests,
// plus re-acquire-on-cancel and the notified-then-cancelled hand-over.

import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  Condition,
  createTask,
  currentTask,
  InvalidStateError,
  Lock,
  run,
  sleep,
  timeout,
} from "@seed/aio";

const tick = (): Promise<undefined> => sleep(0);
const within = <T>(work: PromiseLike<T>): Promise<T> =>
  timeout(2_000, () => work);

Deno.test("`Condition` notify wakes waiters one at a time, in order, after release", async () => {
  await run(async () => {
    const cond = new Condition();
    const result: number[] = [];
    const waiter = (n: number) => async () => {
      await cond.acquire();
      if (await cond.wait()) result.push(n);
      return true;
    };
    const t1 = createTask(waiter(1));
    const t2 = createTask(waiter(2));
    const t3 = createTask(waiter(3));
    await tick();
    assertEquals(result, []);
    assertFalse(cond.locked());
    assertEquals(cond.waiting, 3);

    assertStrictEquals(await cond.acquire(), true);
    cond.notify();
    await tick();
    // Notified, but the lock is ours: nobody can return from wait yet.
    assertEquals(result, []);
    assert(cond.locked());

    cond.release();
    await tick();
    assertEquals(result, [1]);
    assert(cond.locked()); // t1 returned holding the lock and kept it

    cond.notify(2);
    await tick();
    assertEquals(result, [1]);
    cond.release();
    await tick();
    assertEquals(result, [1, 2]);
    cond.release();
    await tick();
    assertEquals(result, [1, 2, 3]);
    assert(cond.locked());
    assertEquals([await t1, await t2, await t3], [true, true, true]);
  });
});

Deno.test("`Condition` cancelled wait holds the lock again when CancelledError arrives", async () => {
  await run(async () => {
    const cond = new Condition();
    let lockedWhenCancelled: boolean | undefined;
    const task = createTask(async () => {
      await cond.acquire();
      try {
        await cond.wait();
      } catch (error) {
        lockedWhenCancelled = cond.locked();
        throw error;
      } finally {
        cond.release();
      }
    });
    await tick();
    assertFalse(cond.locked());
    // Hold the lock while cancelling: the waiter must wait for it before
    // its CancelledError propagates.
    await cond.acquire();
    task.cancel();
    await tick();
    assertFalse(task.done());
    cond.release();
    await assertRejects(() => task, CancelledError);
    assertStrictEquals(lockedWhenCancelled, true);
    assertEquals(cond.waiting, 0);
    assertFalse(cond.locked());
  });
});

Deno.test("`Condition` waiter notified and then cancelled passes the notification on", async () => {
  await run(async () => {
    const cond = new Condition();
    const woke: string[] = [];
    const waiter = (name: string) => async () => {
      await using _ = await cond.lock();
      await cond.wait();
      woke.push(name);
    };
    const a = createTask(waiter("a"));
    const b = createTask(waiter("b"));
    await tick();
    await cond.acquire();
    cond.notify(1);
    a.cancel();
    cond.release();
    await assertRejects(() => a, CancelledError);
    // The single notification reached b instead of dying with a.
    await within(b);
    assertEquals(woke, ["b"]);
    assertFalse(cond.locked());
  });
});

Deno.test("`Condition` notify and cancel racing for a contested lock still ends holding it", async () => {
  await run(async () => {
    const cond = new Condition();
    await cond.acquire();
    const waitTask = createTask(() => cond.wait());
    await tick();
    assertFalse(cond.locked());
    await cond.acquire();
    cond.notify();
    waitTask.cancel();
    cond.release();
    await waitTask.then(() => {}, () => {});
    assert(cond.locked());
  });
});

Deno.test("`Condition` wait and notify without the lock throw InvalidStateError", async () => {
  const cond = new Condition();
  await assertRejects(() => cond.wait(), InvalidStateError);
  assertThrows(() => cond.notify(), InvalidStateError);
  assertThrows(() => cond.notifyAll(), InvalidStateError);
  assertThrows(() => cond.release(), InvalidStateError);
});

Deno.test("`Condition` rejects bad arguments with typed errors", async () => {
  assertThrows(() => new Condition({} as Lock), TypeError);
  const cond = new Condition();
  await cond.acquire();
  assertThrows(() => cond.notify(-1), RangeError);
  assertThrows(() => cond.notify(1.5), RangeError);
  assertThrows(() => cond.notify("2" as unknown as number), TypeError);
  assertThrows(() => cond.notify(NaN), TypeError);
  await assertRejects(
    () => cond.waitFor("yes" as unknown as () => boolean),
    TypeError,
  );
  cond.release();
});

Deno.test("`Condition` waitFor rechecks the predicate after each notification", async () => {
  await run(async () => {
    const cond = new Condition();
    let ready = false;
    let calls = 0;
    const task = createTask(async () => {
      await using _ = await cond.lock();
      return await cond.waitFor(() => {
        calls++;
        return ready && "done";
      });
    });
    await tick();
    assertEquals(calls, 1);
    await cond.acquire();
    cond.notify();
    cond.release();
    await tick();
    assertEquals(calls, 2);
    assertFalse(task.done());
    await cond.acquire();
    ready = true;
    cond.notify();
    cond.release();
    assertEquals(await task, "done");
    assertEquals(calls, 3);
  });
});

Deno.test("`Condition` waitFor without the lock returns a true predicate, throws otherwise", async () => {
  const cond = new Condition();
  assertEquals(await cond.waitFor(() => [1, 2, 3]), [1, 2, 3]);
  await assertRejects(() => cond.waitFor(() => false), InvalidStateError);
});

Deno.test("`Condition` notifyAll wakes everyone; conditions can share a lock", async () => {
  await run(async () => {
    const lock = new Lock();
    const c1 = new Condition(lock);
    const c2 = new Condition(lock);
    let woke = 0;
    const tasks = [c1, c1, c2].map((cond) =>
      createTask(async () => {
        await using _ = await cond.lock();
        await cond.wait();
        woke++;
      })
    );
    await tick();
    await lock.acquire();
    assert(c1.locked() && c2.locked());
    c1.notifyAll();
    lock.release();
    await tick();
    assertEquals(woke, 2);
    await c2.acquire();
    c2.notifyAll();
    c2.release();
    for (const task of tasks) await task;
    assertEquals(woke, 3);
  });
});

Deno.test("`Condition` wait is a cancellation point and keeps the lock if already cancelled", async () => {
  await run(async () => {
    const cond = new Condition();
    const task = createTask(async () => {
      await cond.acquire();
      currentTask()!.cancel();
      try {
        await cond.wait();
      } finally {
        assert(cond.locked());
        cond.release();
      }
    });
    await assertRejects(() => task, CancelledError);
    assertFalse(cond.locked());
  });
});
