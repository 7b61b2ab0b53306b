// Semaphore and BoundedSemaphore: ports the intent of CPython's
// test_locks.py SemaphoreTests (3.13 FIFO rules) and the lost-wakeup cases.

import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  BoundedSemaphore,
  CancelledError,
  createTask,
  currentTask,
  gather,
  run,
  Semaphore,
  sleep,
  taskGroup,
  timeout,
} from "@seed/aio";

const tick = (): Promise<undefined> => sleep(0);
const within = <T>(work: PromiseLike<T>): Promise<T> =>
  timeout(2_000, () => work);

Deno.test("`Semaphore` counts permits and blocks at zero", async () => {
  await run(async () => {
    const sem = new Semaphore(2);
    assertEquals(sem.value, 2);
    assertFalse(sem.locked());
    assertStrictEquals(await sem.acquire(), true);
    assertStrictEquals(await sem.acquire(), true);
    assert(sem.locked());
    assertEquals(sem.value, 0);
    const third = createTask(() => sem.acquire());
    await tick();
    assertFalse(third.done());
    sem.release();
    assertEquals(await third, true);
    assertEquals(sem.value, 0);
    sem.release();
    sem.release();
    assertEquals(sem.value, 2);
  });
});

Deno.test("`Semaphore` default value is 1; a zero semaphore starts locked", () => {
  assertEquals(new Semaphore().value, 1);
  assert(new Semaphore(0).locked());
});

Deno.test("`Semaphore` rejects bad initial values with typed errors", () => {
  assertThrows(() => new Semaphore(-1), RangeError);
  assertThrows(() => new Semaphore(1.5), RangeError);
  assertThrows(() => new Semaphore("1" as unknown as number), TypeError);
  assertThrows(() => new Semaphore(NaN), TypeError);
  assertThrows(() => new BoundedSemaphore(-3), RangeError);
});

Deno.test("`Semaphore` serves waiters FIFO: a releaser re-acquiring queues behind woken waiters", async () => {
  await run(async () => {
    const sem = new Semaphore(1);
    const result: number[] = [];
    const t1 = createTask(async () => {
      await sem.acquire();
      result.push(1);
    });
    const t2 = createTask(async () => {
      await sem.acquire();
      result.push(2);
      sem.release();
      await sem.acquire();
      result.push(4);
    });
    const t3 = createTask(async () => {
      await sem.acquire();
      result.push(3);
    });
    await tick();
    sem.release();
    sem.release();
    await within(gather(t1, t2, t3));
    assertEquals(result, [1, 2, 3, 4]);
  });
});

Deno.test("`Semaphore` waiters cancelled while parked never take a permit", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const tasks = [0, 1, 2, 3].map(() => createTask(() => sem.acquire()));
    await tick();
    tasks[0].cancel();
    tasks[1].cancel();
    sem.release();
    await tick();
    await tick();
    assert(tasks[2].done());
    assertFalse(tasks[3].done());
    assert(sem.locked());
    tasks[3].cancel();
    for (const task of tasks) await task.then(() => {}, () => {});
    assertEquals([tasks[0], tasks[1], tasks[3]].map((t) => t.cancelled()), [
      true,
      true,
      true,
    ]);
    assertEquals(sem.value, 0);
  });
});

Deno.test("`Semaphore` waiter cancelled after being handed a permit passes it on (no lost wake-up)", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const t1 = createTask(() => sem.acquire());
    const t2 = createTask(() => sem.acquire());
    await tick();
    sem.release();
    // t1 holds the permit but has not resumed: cancel it now.
    t1.cancel();
    await assertRejects(() => t1, CancelledError);
    assertEquals(await within(t2), true);
    assertEquals(sem.value, 0);
    assertEquals(sem.waiting, 0);
    sem.release();
    assertEquals(sem.value, 1);
  });
});

Deno.test("`Semaphore` a cancelled waiter does not hang the next acquire", async () => {
  await run(async () => {
    const sem = new Semaphore(1);
    const later: { t2?: { cancel(): boolean } } = {};
    const t1 = createTask(async () => {
      await using _ = await sem.lock();
      await tick();
      later.t2!.cancel();
    });
    const t2 = createTask(async () => {
      await using _ = await sem.lock();
      throw new Error("t2 must never get the permit");
    });
    later.t2 = t2;
    const [r1, r2] = await gather(t1, t2, { returnExceptions: true });
    assertEquals(r1, undefined);
    assert(r2 instanceof CancelledError);
    assertEquals(await within(sem.acquire()), true);
  });
});

Deno.test("`Semaphore` acquire is a cancellation point even with free permits", async () => {
  await run(async () => {
    const sem = new Semaphore(3);
    const task = createTask(() => {
      currentTask()!.cancel();
      return sem.acquire();
    });
    await assertRejects(() => task, CancelledError);
    assertEquals(sem.value, 3);
  });
});

Deno.test("`Semaphore.lock()` limits concurrency to the permit count", async () => {
  await run(async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await taskGroup((tg) => {
      for (let i = 0; i < 12; i++) {
        tg.createTask(async () => {
          await using _ = await sem.lock();
          peak = Math.max(peak, ++active);
          await tick();
          active--;
        });
      }
    });
    assertEquals(peak, 3);
    assertEquals(sem.value, 3);
  });
});

Deno.test("`BoundedSemaphore` release past its bound throws and changes nothing", async () => {
  await run(async () => {
    const sem = new BoundedSemaphore(2);
    assertEquals(sem.bound, 2);
    assertThrows(() => sem.release(), RangeError);
    await sem.acquire();
    await sem.acquire();
    sem.release();
    sem.release();
    assertThrows(() => sem.release(), RangeError);
    assertEquals(sem.value, 2);
  });
});

Deno.test("`BoundedSemaphore` hands released permits to waiters like Semaphore", async () => {
  await run(async () => {
    const sem = new BoundedSemaphore(1);
    await sem.acquire();
    const waiter = createTask(() => sem.acquire());
    await tick();
    sem.release();
    assertEquals(await waiter, true);
    sem.release();
    assertThrows(() => sem.release(), RangeError);
  });
});
