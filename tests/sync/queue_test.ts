// Queue, PriorityQueue, LifoQueue: ports the intent of CPython's
// test_queues.py (including the 3.13 shutdown tests and the dropped-item
// races), plus no-barging and cancellation-point checks.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  compareItems,
  createTask,
  currentTask,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  run,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";

const tick = (): Promise<undefined> => sleep(0);
const within = <T>(work: PromiseLike<T>): Promise<T> =>
  timeout(2_000, () => work);

type AnyQueue = new (maxsize?: number) => Queue<unknown>;
const kinds: [string, AnyQueue][] = [
  ["Queue", Queue],
  ["LifoQueue", LifoQueue],
  ["PriorityQueue", PriorityQueue],
];

Deno.test("`Queue` empty, full, qsize and maxsize", async () => {
  const q = new Queue<number>();
  assert(q.empty());
  assertFalse(q.full());
  assertEquals(q.maxsize, 0);
  await q.put(1);
  assertFalse(q.empty());
  assertEquals(q.qsize(), 1);
  assertEquals(await q.get(), 1);
  assert(q.empty());

  const bounded = new Queue<number>({ maxsize: 1 });
  assertEquals(bounded.maxsize, 1);
  await bounded.put(1);
  assert(bounded.full());
  assertEquals(new Queue(3).maxsize, 3);
  assertFalse(new Queue(Infinity).full());
});

Deno.test("`Queue` rejects bad sizes with typed errors", () => {
  for (const [, Kind] of kinds) {
    assertThrows(() => new Kind(-1), RangeError);
    assertThrows(() => new Kind(1.3), RangeError);
    assertThrows(() => new Kind("2" as unknown as number), TypeError);
    assertThrows(() => new Kind(NaN), TypeError);
    assertThrows(() => new Kind(null as unknown as number), TypeError);
    assertThrows(
      () => new Queue({ maxsize: -5 }),
      RangeError,
      "maxsize must be a non-negative integer",
    );
  }
  assertThrows(
    () => new PriorityQueue({ compare: 3 as unknown as () => number }),
    TypeError,
  );
  assertThrows(
    () => new Queue({ maxsize: "3" as unknown as number }),
    TypeError,
    'maxsize must be a number, got "3"',
  );
  const q = new Queue();
  assertThrows(() => q.shutdown(1 as unknown as boolean), TypeError);
  assertThrows(
    () => q.shutdown({ immediate: "yes" as unknown as boolean }),
    TypeError,
  );
  assertFalse(q.isShutDown);
});

Deno.test("`Queue` is FIFO, `LifoQueue` LIFO, `PriorityQueue` smallest first", async () => {
  const orders: Record<string, number[]> = {};
  for (const [name, Kind] of kinds) {
    const q = new Kind();
    for (const i of [1, 3, 2]) await q.put(i);
    orders[name] = [await q.get(), await q.get(), await q.get()] as number[];
  }
  assertEquals(orders, {
    Queue: [1, 3, 2],
    LifoQueue: [2, 3, 1],
    PriorityQueue: [1, 2, 3],
  });
});

Deno.test("`Queue` ring buffer keeps order across growth and wrap-around", () => {
  const q = new Queue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round % 13 + 3; i++) q.putNowait(next++);
    for (let i = 0; i < round % 7 + 1 && !q.empty(); i++) {
      assertEquals(q.getNowait(), expected++);
    }
  }
  while (!q.empty()) assertEquals(q.getNowait(), expected++);
  assertEquals(expected, next);
});

Deno.test("`PriorityQueue` orders [priority, data] pairs like Python tuples", () => {
  const q = new PriorityQueue<[number, string]>();
  for (const entry of [[2, "b"], [1, "z"], [2, "a"], [0, "x"], [1, "y"]]) {
    q.putNowait(entry as [number, string]);
  }
  const out: [number, string][] = [];
  while (!q.empty()) out.push(q.getNowait());
  assertEquals(out, [[0, "x"], [1, "y"], [1, "z"], [2, "a"], [2, "b"]]);
});

Deno.test("`PriorityQueue` takes a compare option", () => {
  const q = new PriorityQueue<{ due: number }>({
    compare: (a, b) => b.due - a.due,
    maxsize: 10,
  });
  for (const due of [5, 1, 9, 3]) q.putNowait({ due });
  assertEquals(q.maxsize, 10);
  assertEquals([1, 2, 3, 4].map(() => q.getNowait().due), [9, 5, 3, 1]);
});

Deno.test("`PriorityQueue` refuses items it cannot order and stays intact", () => {
  const q = new PriorityQueue<unknown>();
  q.putNowait(2);
  q.putNowait(1);
  assertThrows(() => q.putNowait("three"), TypeError, "cannot order");
  assertThrows(() => q.putNowait({}), TypeError);
  assertThrows(() => q.putNowait(NaN), TypeError);
  assertEquals(q.qsize(), 2);
  assertEquals([q.getNowait(), q.getNowait()], [1, 2]);
  // A refused item is not an unfinished task.
  q.taskDone();
  q.taskDone();
  assertThrows(() => q.taskDone(), RangeError);
});

Deno.test("`compareItems` is Python's < for numbers, strings, tuples and dates", () => {
  assert(compareItems(1, 2) < 0);
  assert(compareItems(2n, 1) > 0);
  assertEquals(compareItems("a", "a"), 0);
  assert(compareItems("B", "a") < 0);
  assert(compareItems([1, 2], [1, 3]) < 0);
  assert(compareItems([1], [1, 0]) < 0);
  assert(compareItems([[2]], [[1, 5]]) > 0);
  assert(compareItems(false, true) < 0);
  assert(compareItems(new Date(1), new Date(2)) < 0);
  assertThrows(() => compareItems(1, "1"), TypeError);
  assertThrows(() => compareItems(null, null), TypeError);
  // Like Python, elements after the first difference are never compared.
  assert(compareItems([1, {}], [2, {}]) < 0);
});

Deno.test("`Queue` getNowait on empty throws QueueEmpty, putNowait on full QueueFull", () => {
  const q = new Queue<number>(1);
  assertThrows(() => q.getNowait(), QueueEmpty);
  q.putNowait(1);
  assertThrows(() => q.putNowait(2), QueueFull);
  assertEquals(q.getNowait(), 1);
});

Deno.test("`Queue` put blocks while full and resumes when a slot frees (maxsize)", async () => {
  await run(async () => {
    const q = new Queue<number>(2);
    const put: number[] = [];
    const putter = createTask(async () => {
      for (let i = 0; i < 3; i++) {
        await q.put(i);
        put.push(i);
      }
      return true;
    });
    await tick();
    assertEquals(put, [0, 1]);
    assertEquals(await q.get(), 0);
    await tick();
    assertEquals(put, [0, 1, 2]);
    assertEquals(await q.get(), 1);
    assertEquals(await q.get(), 2);
    assertEquals(await putter, true);
  });
});

Deno.test("`Queue` get waits for a put", async () => {
  await run(async () => {
    const q = new Queue<string>();
    const getter = createTask(() => q.get());
    await tick();
    assertFalse(getter.done());
    await q.put("a");
    assertEquals(await getter, "a");
  });
});

Deno.test("`Queue` getter cancelled while waiting is not served (get cancelled race)", async () => {
  await run(async () => {
    const q = new Queue<string>();
    const t1 = createTask(() => q.get());
    const t2 = createTask(() => q.get());
    await tick();
    t1.cancel();
    await tick();
    assert(t1.done());
    await q.put("a");
    assertEquals(await within(t2), "a");
  });
});

Deno.test("`Queue` get that times out leaves no getter behind to swallow an item", async () => {
  await run(async () => {
    const q = new Queue<number>(5);
    await assertRejects(() => timeout(5, () => q.get()), TimeoutError);
    q.putNowait(1);
    assertEquals(q.getNowait(), 1);
  });
});

Deno.test("`Queue` getter cancelled after being woken leaves its item in the queue (drop one pending reader)", async () => {
  await run(async () => {
    const q = new Queue<number>();
    let reader = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.putNowait(2);
    reader.cancel();
    try {
      await reader;
    } catch (error) {
      assertInstanceOf(error, CancelledError);
      reader = createTask(() => q.get());
      await reader;
    }
    // Getting 2 here would mean 1 was dropped.
    assertEquals(reader.result(), 1);
    assertEquals(q.qsize(), 1);
  });
});

Deno.test("`Queue` woken getter cancelled hands its item to the next getter (drop many pending readers)", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const r1 = createTask(() => q.get());
    const r2 = createTask(() => q.get());
    const r3 = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.putNowait(2);
    r1.cancel();
    await assertRejects(() => r1, CancelledError);
    const results = [await within(r2), await within(r3)];
    assertEquals(results.toSorted(), [1, 2]);
    assert(q.empty());
  });
});

Deno.test("`Queue` woken putter cancelled does not put its item (put cancel drop)", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    let writer = createTask(() => q.put(2));
    await tick();
    assertEquals(q.getNowait(), 1);
    writer.cancel();
    try {
      await writer;
    } catch (error) {
      assertInstanceOf(error, CancelledError);
      writer = createTask(() => q.put(2));
      await within(writer);
    }
    assertEquals(q.getNowait(), 2);
    assertEquals(q.qsize(), 0);
  });
});

Deno.test("`Queue` woken putter cancelled passes its slot to the next putter", async () => {
  await run(async () => {
    const q = new Queue<string>(1);
    q.putNowait("first");
    const p1 = createTask(() => q.put("p1"));
    const p2 = createTask(() => q.put("p2"));
    await tick();
    assertEquals(q.getNowait(), "first");
    p1.cancel();
    await assertRejects(() => p1, CancelledError);
    await within(p2);
    assertEquals(q.getNowait(), "p2");
    assert(q.empty());
  });
});

Deno.test("`Queue` putters are served in order and a cancelled one is skipped (put cancelled race)", async () => {
  await run(async () => {
    const q = new Queue<string>(1);
    const putA = createTask(() => q.put("a"));
    const putB = createTask(() => q.put("b"));
    const putC = createTask(() => q.put("X"));
    await tick();
    assert(putA.done());
    assertFalse(putB.done());
    putC.cancel();
    await tick();
    assert(putC.cancelled());
    assertEquals(q.getNowait(), "a");
    await tick();
    assertEquals(q.getNowait(), "b");
    await putB;
    assert(q.empty());
  });
});

Deno.test("`Queue` get with waiting putters takes them in order", async () => {
  await run(async () => {
    const q = new Queue<string>(1);
    createTask(() => q.put("a"));
    createTask(() => q.put("b"));
    await tick();
    assertEquals(await q.get(), "a");
    assertEquals(await q.get(), "b");
  });
});

Deno.test("`Queue` a woken getter's item cannot be taken by a newcomer (no barging)", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const getter = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    assertEquals(q.qsize(), 1);
    assertThrows(() => q.getNowait(), QueueEmpty);
    const late = createTask(() => q.get());
    q.putNowait(2);
    assertEquals(await getter, 1);
    assertEquals(await late, 2);
  });
});

Deno.test("`Queue` a woken putter's slot cannot be taken by a newcomer (no barging)", async () => {
  await run(async () => {
    const q = new Queue<string>(1);
    q.putNowait("a");
    const putter = createTask(() => q.put("b"));
    await tick();
    assertEquals(q.getNowait(), "a");
    assertThrows(() => q.putNowait("c"), QueueFull);
    await putter;
    assertEquals(q.getNowait(), "b");
  });
});

Deno.test("`Queue` producer and consumer interleave through a size-1 queue", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    const got: number[] = [];
    await within(taskGroup((tg) => {
      tg.createTask(async () => {
        for (let i = 0; i < 5; i++) await q.put(i);
      });
      tg.createTask(async () => {
        for (let i = 0; i < 5; i++) got.push(await q.get());
      });
    }));
    assertEquals(got, [0, 1, 2, 3, 4]);
  });
});

Deno.test("`Queue` getter that empties the queue lets every waiting putter in", async () => {
  await run(async () => {
    const q = new Queue<number>(2);
    await within(taskGroup((tg) => {
      tg.createTask(async () => {
        await tick();
        const n = q.qsize();
        for (let i = 0; i < n; i++) q.getNowait();
      });
      for (let i = 0; i < 4; i++) tg.createTask(() => q.put(i));
    }));
    assertEquals(q.qsize(), 2);
  });
});

Deno.test("`Queue` get with an item ready does not yield to the event loop", async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 100; i++) q.putNowait(i);
    let timerRan = false;
    createTask(async () => {
      await sleep(0);
      timerRan = true;
    });
    let sum = 0;
    for (let i = 0; i < 100; i++) sum += await q.get();
    assertEquals(sum, 4950);
    assertFalse(timerRan);
  });
});

Deno.test("`Queue` get and put are cancellation points even when they would not wait", async () => {
  await run(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    const getter = createTask(() => {
      currentTask()!.cancel();
      return q.get();
    });
    await assertRejects(() => getter, CancelledError);
    const putter = createTask(() => {
      currentTask()!.cancel();
      return q.put(2);
    });
    await assertRejects(() => putter, CancelledError);
    const joiner = createTask(() => {
      currentTask()!.cancel();
      return q.join();
    });
    await assertRejects(() => joiner, CancelledError);
    // Neither cancelled call touched the queue.
    assertEquals(q.qsize(), 1);
    assertEquals(q.getNowait(), 1);
  });
});

Deno.test("`Queue` putter cancelled while waiting is removed", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    const putter = createTask(() => q.put(2));
    await tick();
    putter.cancel();
    await assertRejects(() => putter, CancelledError);
    assertEquals(q.getNowait(), 1);
    // The cancelled putter left no claim on the freed slot.
    q.putNowait(3);
    assertEquals(q.getNowait(), 3);
  });
});

for (const [name, Kind] of kinds) {
  Deno.test(`\`${name}\` taskDone called too often throws RangeError`, () => {
    const q = new Kind();
    assertThrows(() => q.taskDone(), RangeError, "taskDone");
    q.putNowait(1);
    q.getNowait();
    q.taskDone();
    assertThrows(() => q.taskDone(), RangeError);
  });

  Deno.test(`\`${name}\` join waits until every item is marked done`, async () => {
    await run(async () => {
      const q = new Kind();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let total = 0;
      let running = true;
      const worker = async () => {
        while (running) {
          const item = await q.get() as number;
          total += item;
          q.taskDone();
        }
      };
      await taskGroup(async (tg) => {
        tg.createTask(worker);
        tg.createTask(worker);
        await within(q.join());
        assertEquals(total, 4950);
        running = false;
        q.putNowait(0);
        q.putNowait(0);
      });
    });
  });

  Deno.test(`\`${name}\` join on an empty queue returns at once`, async () => {
    const q = new Kind();
    await q.join();
    await q.join();
  });

  Deno.test(`\`${name}\` shutdown of an empty queue fails waiting getters and later calls`, async () => {
    await run(async () => {
      const q = new Kind();
      const getter = createTask(() => q.get());
      await tick();
      q.shutdown(false);
      assert(q.isShutDown);
      assertEquals(q.qsize(), 0);
      await q.join();
      await assertRejects(() => getter, QueueShutDown);
      await assertRejects(() => q.put("data"), QueueShutDown);
      assertThrows(() => q.putNowait("data"), QueueShutDown);
      await assertRejects(() => q.get(), QueueShutDown);
      assertThrows(() => q.getNowait(), QueueShutDown);
    });
  });

  Deno.test(`\`${name}\` shutdown of a non-empty queue fails putters but lets items drain`, async () => {
    await run(async () => {
      const q = new Kind(1);
      q.putNowait("data");
      const joiner = createTask(() => q.join());
      const putter = createTask(() => q.put("data2"));
      await tick();
      assertFalse(putter.done());
      q.shutdown(false);
      assertEquals(q.qsize(), 1);
      await assertRejects(() => putter, QueueShutDown);
      assertEquals(await q.get(), "data");
      await tick();
      assertFalse(joiner.done());
      await assertRejects(() => q.put("data"), QueueShutDown);
      assertThrows(() => q.putNowait("data"), QueueShutDown);
      await assertRejects(() => q.get(), QueueShutDown);
      assertThrows(() => q.getNowait(), QueueShutDown);
      q.taskDone();
      await within(joiner);
      assertThrows(() => q.taskDone(), RangeError);
    });
  });

  Deno.test(`\`${name}\` immediate shutdown drops items and counts them done`, async () => {
    await run(async () => {
      const q = new Kind();
      q.putNowait("data");
      const joiner = createTask(() => q.join());
      await tick();
      q.shutdown(true);
      assertEquals(q.qsize(), 0);
      await within(joiner);
      await assertRejects(() => q.put("data"), QueueShutDown);
      await assertRejects(() => q.get(), QueueShutDown);
      assertThrows(() => q.getNowait(), QueueShutDown);
      assertThrows(() => q.taskDone(), RangeError);
    });
  });

  Deno.test(`\`${name}\` immediate shutdown with an item still being processed`, async () => {
    await run(async () => {
      const q = new Kind();
      q.putNowait("data");
      q.putNowait("data");
      const joiner = createTask(() => q.join());
      assertEquals(await q.get(), "data");
      q.shutdown(true);
      assertEquals(q.qsize(), 0);
      await tick();
      assertFalse(joiner.done());
      await assertRejects(() => q.get(), QueueShutDown);
      q.taskDone();
      assertThrows(() => q.taskDone(), RangeError);
      await within(joiner);
    });
  });
}

Deno.test("`Queue` shutdown takes immediate as an option too", () => {
  const q = new Queue<number>();
  q.putNowait(1);
  q.shutdown({ immediate: true });
  assert(q.empty());
  assertThrows(() => q.getNowait(), QueueShutDown);
});

Deno.test("`Queue` ring buffer shrinks back after a burst and keeps order", () => {
  const q = new Queue<number>();
  for (let i = 0; i < 5000; i++) q.putNowait(i);
  for (let i = 0; i < 4990; i++) assertEquals(q.getNowait(), i);
  for (let i = 5000; i < 5100; i++) q.putNowait(i);
  for (let i = 4990; i < 5100; i++) assertEquals(q.getNowait(), i);
  assert(q.empty());
});

Deno.test("`PriorityQueue` pops in sorted order and survives a throwing comparator", () => {
  let fail = false;
  const q = new PriorityQueue<number>({
    compare: (a, b) => {
      if (fail) throw new Error("compare failed");
      return a - b;
    },
  });
  const values = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
  for (const v of values) q.putNowait(v);
  for (let i = 0; i < 50; i++) q.getNowait();
  fail = true;
  assertThrows(() => q.getNowait(), Error, "compare failed");
  assertThrows(() => q.putNowait(-1), Error, "compare failed");
  fail = false;
  assertEquals(q.qsize(), 150);
  const out: number[] = [];
  while (!q.empty()) out.push(q.getNowait());
  assertEquals(out, values.toSorted((a, b) => a - b).slice(50));
});

Deno.test("`Queue` immediate shutdown fails a getter woken for a dropped item", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const getter = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.shutdown(true);
    await assertRejects(() => getter, QueueShutDown);
  });
});

Deno.test("`Queue` non-immediate shutdown still serves a getter already woken", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const getter = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.shutdown();
    assertEquals(await getter, 1);
  });
});

Deno.test("`Queue` async iteration yields items in order and ends on shutdown", async () => {
  await run(async () => {
    const q = new Queue<number>(2);
    const seen: number[] = [];
    await within(taskGroup((tg) => {
      tg.createTask(async () => {
        for await (const item of q) seen.push(item);
      });
      tg.createTask(async () => {
        for (let i = 0; i < 6; i++) await q.put(i);
        q.shutdown();
      });
    }));
    assertEquals(seen, [0, 1, 2, 3, 4, 5]);
  });
});

Deno.test("`Queue` async iteration can stop early and resume with a new loop", async () => {
  const q = new Queue<number>();
  for (let i = 0; i < 4; i++) q.putNowait(i);
  for await (const item of q) {
    if (item === 1) break;
  }
  const rest: number[] = [];
  q.shutdown();
  for await (const item of q) rest.push(item);
  assertEquals(rest, [2, 3]);
});

Deno.test("`Queue` async iteration propagates cancellation", async () => {
  await run(async () => {
    const q = new Queue<number>();
    const consumer = createTask(async () => {
      for await (const _ of q) { /* nothing arrives */ }
    });
    await tick();
    consumer.cancel();
    await assertRejects(() => consumer, CancelledError);
    // The cancelled iteration left no getter to swallow the next item.
    q.putNowait(7);
    assertEquals(q.getNowait(), 7);
  });
});

Deno.test("`Queue` blocked putters fail with QueueShutDown", async () => {
  await run(async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const putters = [1, 2].map((i) => createTask(() => q.put(i)));
    await tick();
    q.shutdown();
    for (const putter of putters) {
      await assertRejects(() => putter, QueueShutDown);
    }
    assertEquals(q.getNowait(), 0);
  });
});
