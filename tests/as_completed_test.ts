import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  asCompleted,
  CancelledError,
  checkpoint,
  createTask,
  currentTask,
  Future,
  getRunningLoop,
  run,
  sleep,
  TimeoutError,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred } from "./_helpers.ts";

async function advance(time: FakeTime, ms: number): Promise<void> {
  await time.tickAsync(ms);
  await time.runMicrotasks();
}

Deno.test("`asCompleted` yields futures in completion order", async () => {
  await run(async () => {
    const order: string[] = [];
    // Each item finishes strictly after the one before it: ordered by
    // events, so timer jitter cannot reorder them.
    const fast = createTask(() => sleep(1, "fast"));
    const mid = createTask(async () => {
      await fast;
      return await sleep(1, "mid");
    });
    const slow = createTask(async () => {
      await mid;
      return await sleep(1, "slow");
    });
    for await (
      const future of asCompleted<string>([
        slow,
        mid,
        Promise.resolve("now"),
        fast,
      ])
    ) {
      order.push(await future);
    }
    assertEquals(order, ["now", "fast", "mid", "slow"]);
  });
});

Deno.test("`asCompleted` yields failed items too; awaiting them throws", async () => {
  await run(async () => {
    const boom = new Error("boom");
    const results: unknown[] = [];
    const failing = createTask(async () => {
      await sleep(1);
      throw boom;
    });
    const ok = createTask(async () => {
      await caught(() => failing);
      return "ok";
    });
    for await (const future of asCompleted([ok, failing])) {
      try {
        results.push(await future);
      } catch (e) {
        results.push(e);
      }
    }
    assertEquals(results.length, 2);
    assertStrictEquals(results[0], boom);
    assertEquals(results[1], "ok");
  });
});

Deno.test("`asCompleted` with a timeout throws TimeoutError after yielding what finished", async () => {
  using time = new FakeTime();
  const pending = run(async () => {
    const seen: string[] = [];
    const slow = createTask(() => sleep(1_000, "slow"));
    const error = await caught(async () => {
      for await (
        const future of asCompleted([() => sleep(10, "fast"), slow], {
          timeout: 50,
        })
      ) {
        seen.push(await future);
      }
    });
    // Nothing is cancelled by asCompleted's timeout.
    assertFalse(slow.done());
    slow.cancel();
    return { seen, error };
  });
  await advance(time, 10);
  await advance(time, 40);
  const { seen, error } = await pending;
  assertEquals(seen, ["fast"]);
  assertInstanceOf(error, TimeoutError);
  assertEquals(pendingTimers(), 0);
});

Deno.test("leaving `asCompleted` early cancels nothing", async () => {
  await run(async () => {
    const slow = createTask(() => sleep(5, "slow"));
    for await (const future of asCompleted([() => sleep(1, "fast"), slow])) {
      assertEquals(await future, "fast");
      break;
    }
    assertFalse(slow.cancelled());
    assertEquals(await slow, "slow");
  });
});

Deno.test("cancelling the caller of `asCompleted` throws CancelledError", async () => {
  await run(async () => {
    const item = createTask(() => sleep(10_000));
    const caller = createTask(async () => {
      for await (const _ of asCompleted([item])) {
        // never reached
      }
    });
    await checkpoint();
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
    item.cancel();
  });
});

Deno.test("`asCompleted` rejects bad input with TypeError", async () => {
  for (const bad of [undefined, null, 5, "ab"]) {
    assertThrows(() => asCompleted(bad as unknown as []), TypeError);
  }
  assertThrows(
    () => asCompleted([Promise.resolve(1)], { timeout: NaN }),
    TypeError,
  );
  assertThrows(
    () => asCompleted([7 as unknown as Promise<number>]),
    TypeError,
  );
  // An empty input is simply an empty iteration.
  const seen: unknown[] = [];
  for await (const future of asCompleted([])) seen.push(future);
  assertEquals(seen, []);
  assert(pendingTimers() === 0);
});

Deno.test("`asCompleted` checks every item before starting any", async () => {
  await run(async () => {
    let started = 0;
    const fn = () => {
      started++;
    };
    const bad = 5 as unknown as () => void;
    assertThrows(() => asCompleted([fn, bad]), TypeError);
    await sleep(1);
    assertEquals(started, 0);
  });
});

Deno.test("`asCompleted` counts an item given twice once", async () => {
  await run(async () => {
    const task = createTask(() => sleep(1, "once"));
    const seen: string[] = [];
    for await (const future of asCompleted([task, task])) {
      seen.push(await future);
    }
    assertEquals(seen, ["once"]);
  });
});

Deno.test("`asCompleted` is a cancellation point even when every item is already done", async () => {
  await run(async () => {
    const items = [new Future<number>(), new Future<number>()];
    items.forEach((future, i) => future.setResult(i));
    const got: unknown[] = [];
    const task = createTask(async () => {
      currentTask()!.cancel();
      for await (const future of asCompleted(items)) got.push(future);
    });
    assertInstanceOf(await caught(() => task), CancelledError);
    assertEquals(got, []);
  });
});

Deno.test("two pending `next()` calls on one `asCompleted` iterator each get their own item", async () => {
  await run(async () => {
    const a = deferred<string>();
    const b = deferred<string>();
    const iterator = asCompleted([a.promise, b.promise]);
    const first = iterator.next();
    const second = iterator.next();
    const third = iterator.next();
    b.resolve("b");
    a.resolve("a");
    const results = await Promise.all([first, second, third]);
    assertEquals(
      await Promise.all(results.slice(0, 2).map((r) => r.value!)),
      ["b", "a"],
    );
    assertEquals(results[2], { value: undefined, done: true });
    assertEquals(await iterator.next(), { value: undefined, done: true });
  });
});

Deno.test("`asCompleted` reports the error of an item left behind when the loop ends early, once", async () => {
  const reported: unknown[] = [];
  const unobserved: unknown[] = [];
  const left = new Error("left behind");
  const alsoLeft = new Error("task left behind");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    const late = deferred<never>();
    for await (
      const future of asCompleted([
        late.promise,
        () => sleep(1, "fast"),
        async () => {
          await sleep(2);
          throw alsoLeft;
        },
      ])
    ) {
      assertEquals(await future, "fast");
      break;
    }
    late.reject(left);
    await sleep(5);
  }, { onUnobservedError: (e) => unobserved.push(e) });
  assertEquals(reported, [left]);
  assertEquals(unobserved, [alsoLeft]);
});

Deno.test("`asCompleted` checks its options by name and type", () => {
  assertThrows(
    () => asCompleted([Promise.resolve(1)], { timout: 5 } as never),
    TypeError,
    "did you mean timeout?",
  );
  assertThrows(
    () => asCompleted([Promise.resolve(1)], { timeout: "5" } as never),
    TypeError,
    "timeout",
  );
});

Deno.test("`asCompleted` with a timeout fails every pending `next()` with TimeoutError, then ends", async () => {
  await run(async () => {
    const never = deferred<void>();
    const iterator = asCompleted([never.promise], { timeout: 5 });
    const results = await Promise.allSettled([
      iterator.next(),
      iterator.next(),
    ]);
    for (const result of results) {
      assertEquals(result.status, "rejected");
      assertInstanceOf((result as PromiseRejectedResult).reason, TimeoutError);
    }
    assertEquals(await iterator.next(), { value: undefined, done: true });
    assertEquals(pendingTimers(), 0);
  });
});
