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
  Future,
  run,
  sleep,
  TimeoutError,
  wait,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught } from "./_helpers.ts";

async function advance(time: FakeTime, ms: number): Promise<void> {
  await time.tickAsync(ms);
  await time.runMicrotasks();
}

Deno.test("`wait` ALL_COMPLETED (the default) returns once everything is done", async () => {
  await run(async () => {
    const a = createTask(() => sleep(2, "a"));
    const b = createTask(() => {
      throw new Error("b");
    });
    const { done, pending } = await wait([a, b]);
    assertEquals(done, new Set([a, b]));
    assertEquals(pending.size, 0);
    // wait() does not raise the tasks' errors.
    assertInstanceOf(b.exception(), Error);
  });
});

Deno.test("`wait` FIRST_COMPLETED returns as soon as one is done and cancels nothing", async () => {
  await run(async () => {
    const fast = createTask(() => sleep(1, "fast"));
    const slow = createTask(() => sleep(10_000, "slow"));
    const { done, pending } = await wait([fast, slow], {
      returnWhen: "FIRST_COMPLETED",
    });
    assertEquals(done, new Set([fast]));
    assertEquals(pending, new Set([slow]));
    assertFalse(slow.done());
    slow.cancel();
  });
});

Deno.test("`wait` FIRST_EXCEPTION returns at the first error, or when all are done", async () => {
  await run(async () => {
    const ok = createTask(() => sleep(1, "ok"));
    const failing = createTask(async () => {
      await sleep(3);
      throw new Error("x");
    });
    const slow = createTask(() => sleep(10_000));
    const first = await wait([ok, failing, slow], {
      returnWhen: "FIRST_EXCEPTION",
    });
    // A success does not end the wait, an exception does.
    assertEquals(first.done, new Set([ok, failing]));
    assertEquals(first.pending, new Set([slow]));
    slow.cancel();

    const a = createTask(() => sleep(1, "a"));
    const b = createTask(() => sleep(2, "b"));
    const all = await wait([a, b], { returnWhen: "FIRST_EXCEPTION" });
    assertEquals(all.done, new Set([a, b]));
  });
});

Deno.test("`wait` FIRST_EXCEPTION does not count a cancellation as an exception", async () => {
  await run(async () => {
    const victim = createTask(() => sleep(10_000));
    const other = createTask(() => sleep(5, "other"));
    const waiting = wait([victim, other], { returnWhen: "FIRST_EXCEPTION" });
    await checkpoint();
    victim.cancel();
    const { done, pending } = await waiting;
    assertEquals(done, new Set([victim, other]));
    assertEquals(pending.size, 0);
  });
});

Deno.test("`wait` with a timeout returns what is done so far without cancelling or throwing", async () => {
  using time = new FakeTime();
  const result = run(async () => {
    const fast = createTask(() => sleep(10, "fast"));
    const slow = createTask(() => sleep(1_000, "slow"));
    const { done, pending } = await wait([fast, slow], { timeout: 100 });
    assertFalse(slow.cancelled());
    slow.cancel();
    return [done.has(fast), pending.has(slow)];
  });
  await advance(time, 10);
  await advance(time, 90);
  assertEquals(await result, [true, true]);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`wait` turns functions into tasks and promises into Futures", async () => {
  await run(async () => {
    const { done, pending } = await wait<string>([
      () => sleep(1, "fn"),
      Promise.resolve("promise"),
    ]);
    assertEquals(pending.size, 0);
    const results = [...done].map((f) => f.result()).sort();
    assertEquals(results, ["fn", "promise"]);
    for (const future of done) assertInstanceOf(future, Future);
  });
});

Deno.test("`wait` on items already done returns at once", async () => {
  await run(async () => {
    const future = new Future<number>();
    future.setResult(1);
    const { done } = await wait([future], { returnWhen: "FIRST_COMPLETED" });
    assertEquals(done, new Set([future]));
  });
});

Deno.test("cancelling the caller of `wait` throws CancelledError and leaves the items running", async () => {
  await run(async () => {
    const item = createTask(() => sleep(5, "item"));
    const caller = createTask(() => wait([item]));
    await checkpoint();
    caller.cancel();
    assertInstanceOf(await caught(() => caller), CancelledError);
    assertFalse(item.cancelled());
    assertEquals(await item, "item");
  });
});

Deno.test("`wait` rejects bad input with TypeError", async () => {
  await run(async () => {
    const task = createTask(() => 1);
    for (const bad of [undefined, null, 5, "ab", task]) {
      assertInstanceOf(
        await caught(() => wait(bad as unknown as [])),
        TypeError,
      );
    }
    assertInstanceOf(await caught(() => wait([])), TypeError);
    assertInstanceOf(
      await caught(() =>
        wait([task], {
          returnWhen: "FIRST" as unknown as "FIRST_COMPLETED",
        })
      ),
      TypeError,
    );
    for (const bad of [NaN, "10"]) {
      assertInstanceOf(
        await caught(() => wait([task], { timeout: bad as unknown as number })),
        TypeError,
      );
    }
    assertInstanceOf(
      await caught(() => wait([5 as unknown as Promise<number>])),
      TypeError,
    );
  });
  assertEquals(pendingTimers(), 0);
});

// CORE BUG: wait() turns items into tasks one by one, so a bad item after a
// function leaves the function's task running (asCompleted likewise).
Deno.test({
  name: "`wait` and `asCompleted` check every item before starting any",
  ignore: false,
}, async () => {
  await run(async () => {
    let started = 0;
    const fn = () => {
      started++;
    };
    const bad = 5 as unknown as () => void;
    assertInstanceOf(await caught(() => wait([fn, bad])), TypeError);
    assertInstanceOf(await caught(() => asCompleted([fn, bad])), TypeError);
    await sleep(1);
    assertEquals(started, 0);
  });
});

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

Deno.test("`wait` and `asCompleted` count an item given twice once", async () => {
  await run(async () => {
    const task = createTask(() => sleep(1, "once"));
    const { done, pending } = await wait([task, task]);
    assertEquals(done, new Set([task]));
    assertEquals(pending.size, 0);
    const seen: string[] = [];
    for await (const future of asCompleted([task, task])) {
      seen.push(await future);
    }
    assertEquals(seen, ["once"]);
  });
});
