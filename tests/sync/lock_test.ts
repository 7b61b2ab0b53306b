// Lock: ports the intent of CPython's test_locks.py LockTests, plus the
// ownership hand-off (no barging) and lost-wakeup cases.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  currentTask,
  InvalidStateError,
  Lock,
  run,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";

// One event-loop turn: every task that can run reaches its next wait.
const tick = (): Promise<undefined> => sleep(0);
// A lost wake-up shows as a wait that never ends: fail instead of hanging.
const within = <T>(work: PromiseLike<T>): Promise<T> =>
  timeout(2_000, () => work);

Deno.test("`Lock` acquire returns true and release frees it", async () => {
  await run(async () => {
    const lock = new Lock();
    assertFalse(lock.locked());
    assertStrictEquals(await lock.acquire(), true);
    assert(lock.locked());
    lock.release();
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` serves waiters in FIFO order", async () => {
  await run(async () => {
    const lock = new Lock();
    const result: number[] = [];
    await lock.acquire();
    const worker = (n: number) => async () => {
      if (await lock.acquire()) result.push(n);
      return true;
    };
    const t1 = createTask(worker(1));
    const t2 = createTask(worker(2));
    await tick();
    assertEquals(result, []);
    lock.release();
    await tick();
    assertEquals(result, [1]);
    // A later arrival queues behind t2, which has waited longer.
    const t3 = createTask(worker(3));
    await tick();
    lock.release();
    await tick();
    assertEquals(result, [1, 2]);
    lock.release();
    await tick();
    assertEquals(result, [1, 2, 3]);
    assertEquals([await t1, await t2, await t3], [true, true, true]);
  });
});

Deno.test("`Lock` hands ownership to the oldest waiter: a newcomer cannot barge", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: string[] = [];
    await lock.acquire();
    const waiter = createTask(async () => {
      await lock.acquire();
      order.push("waiter");
      lock.release();
    });
    await tick();
    lock.release();
    // The lock already belongs to the waiter, though it has not run yet.
    assert(lock.locked());
    await lock.acquire();
    order.push("main");
    lock.release();
    await waiter;
    assertEquals(order, ["waiter", "main"]);
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` waiter cancelled while parked leaves the queue", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(() => lock.acquire());
    await tick();
    assertEquals(lock.waiting, 1);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assertEquals(lock.waiting, 0);
    lock.release();
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` cancelling one waiter while releasing gives the lock to the next (cancel race)", async () => {
  await run(async () => {
    const lock = new Lock();
    const entered: string[] = [];
    const lockit = (name: string) => async () => {
      await lock.acquire();
      try {
        entered.push(name);
      } finally {
        lock.release();
      }
    };
    await lock.acquire();
    const tb = createTask(lockit("B"));
    const tc = createTask(lockit("C"));
    await tick();
    assertEquals(lock.waiting, 2);
    tb.cancel();
    lock.release();
    await assertRejects(() => tb, CancelledError);
    await within(tc);
    assertEquals(entered, ["C"]);
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` waiter cancelled after being handed the lock passes it on (no lost wake-up)", async () => {
  await run(async () => {
    const lock = new Lock();
    let count = 0;
    const lockit = async () => {
      await lock.acquire();
      count++;
    };
    await lock.acquire();
    const t1 = createTask(lockit);
    const t2 = createTask(lockit);
    const t3 = createTask(lockit);
    await tick();
    // Release first: t1 owns the lock but has not resumed when it is
    // cancelled. It must not keep the lock, and must not drop it either.
    lock.release();
    t1.cancel();
    await assertRejects(() => t1, CancelledError);
    await within(t2);
    assertEquals(count, 1);
    assert(t1.cancelled());
    assert(lock.locked());
    assertEquals(lock.waiting, 1);
    t3.cancel();
    await assertRejects(() => t3, CancelledError);
    lock.release();
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` cancel-then-release takes exactly one lock (bpo-32734)", async () => {
  await run(async () => {
    const lock = new Lock();
    let lockCount = 0;
    let callCount = 0;
    const lockit = async () => {
      callCount++;
      await lock.acquire();
      lockCount++;
    };
    await lock.acquire();
    const t1 = createTask(lockit);
    const t2 = createTask(lockit);
    const t3 = createTask(lockit);
    await tick();
    t1.cancel();
    lock.release();
    await assertRejects(() => t1, CancelledError);
    await within(t2);
    assertEquals(lockCount, 1);
    assertEquals(callCount, 3);
    t3.cancel();
    await assertRejects(() => t3, CancelledError);
  });
});

Deno.test("`Lock` a waiter cancelled before a newcomer arrives does not strand it", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    const tb = createTask(() => lock.acquire());
    await tick();
    const tc = createTask(() => lock.acquire());
    tb.cancel();
    lock.release();
    await tick();
    assert(lock.locked());
    assert(tb.cancelled());
    assertEquals(await within(tc), true);
  });
});

Deno.test("`Lock` acquire is a cancellation point even when the lock is free", async () => {
  await run(async () => {
    const lock = new Lock();
    const task = createTask(() => {
      currentTask()!.cancel();
      return lock.acquire();
    });
    await assertRejects(() => task, CancelledError);
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` acquire that times out leaves no waiter behind", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    await assertRejects(() => timeout(5, () => lock.acquire()), TimeoutError);
    assertEquals(lock.waiting, 0);
    lock.release();
    // A stale waiter would have taken the lock.
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` release without holding it throws InvalidStateError", () => {
  const lock = new Lock();
  const error = assertThrows(() => lock.release(), InvalidStateError);
  assertEquals(error.message, "Cannot release lock: not held");
});

Deno.test("`Lock.lock()` releases on leaving a using block, once", async () => {
  await run(async () => {
    const lock = new Lock();
    {
      await using guard = await lock.lock();
      assert(lock.locked());
      guard.release();
      assertFalse(lock.locked());
      // Someone else takes the lock; disposing our guard must not free it.
      await lock.acquire();
    }
    assert(lock.locked());
    lock.release();
    {
      using _ = await lock.lock();
      assert(lock.locked());
    }
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock.lock()` releases when the block throws", async () => {
  await run(async () => {
    const lock = new Lock();
    const error = await assertRejects(async () => {
      await using _ = await lock.lock();
      throw new Error("inside");
    });
    assertInstanceOf(error, Error);
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` keeps critical sections apart under contention", async () => {
  await run(async () => {
    const lock = new Lock();
    let inside = 0;
    let overlaps = 0;
    let total = 0;
    await taskGroup((tg) => {
      for (let i = 0; i < 10; i++) {
        tg.createTask(async () => {
          for (let j = 0; j < 5; j++) {
            await using _ = await lock.lock();
            if (++inside > 1) overlaps++;
            await sleep(0);
            total++;
            inside--;
          }
        });
      }
    });
    assertEquals(overlaps, 0);
    assertEquals(total, 50);
    assertFalse(lock.locked());
  });
});

Deno.test("`Lock` works outside run() (no scope, not cancellable)", async () => {
  const lock = new Lock();
  await lock.acquire();
  const second = lock.acquire();
  lock.release();
  assertEquals(await second, true);
  lock.release();
  assertFalse(lock.locked());
});
