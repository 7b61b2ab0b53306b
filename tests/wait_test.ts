import {
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStringIncludes,
} from "@std/assert";
import { FakeTime } from "@std/testing/time";
import {
  CancelledError,
  checkpoint,
  createTask,
  Future,
  getRunningLoop,
  run,
  sleep,
  wait,
  type WaitOptions,
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
    // wait() reads no outcome: the error is still the caller's to read.
    assertEquals((failing.exception() as Error).message, "x");
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

Deno.test("`wait` checks every item before starting any", async () => {
  await run(async () => {
    let started = 0;
    const fn = () => {
      started++;
    };
    const bad = 5 as unknown as () => void;
    assertInstanceOf(await caught(() => wait([fn, bad])), TypeError);
    await sleep(1);
    assertEquals(started, 0);
  });
});

Deno.test("`wait` counts an item given twice once", async () => {
  await run(async () => {
    const task = createTask(() => sleep(1, "once"));
    const { done, pending } = await wait([task, task]);
    assertEquals(done, new Set([task]));
    assertEquals(pending.size, 0);
  });
});

Deno.test("`wait` FIRST_EXCEPTION does not read a function item's error: nobody reading it gets it reported once", async () => {
  const unobserved: unknown[] = [];
  const reported: unknown[] = [];
  const boom = new Error("boom");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    const { done, pending } = await wait([
      async () => {
        await sleep(1);
        throw boom;
      },
      () => sleep(10_000),
    ], { returnWhen: "FIRST_EXCEPTION" });
    assertEquals(done.size, 1);
    for (const future of pending) future.cancel();
  }, { onUnobservedError: (e) => unobserved.push(e) });
  assertEquals([...unobserved, ...reported], [boom]);
});

Deno.test("`wait` reports a rejected promise item nobody read, once, when run ends", async () => {
  const reported: unknown[] = [];
  const unread = new Error("unread");
  const read = new Error("read");
  await run(async () => {
    getRunningLoop().setExceptionHandler((e) => reported.push(e));
    await wait([Promise.reject(unread)]);
    const { done } = await wait([Promise.reject(read)]);
    assertEquals([...done].map((future) => future.exception()), [read]);
  });
  assertEquals(reported, [unread]);
});

Deno.test("`wait` checks its options by name and type before starting anything", async () => {
  await run(async () => {
    let started = 0;
    const fn = () => {
      started++;
    };
    const misspelt = await caught(() =>
      wait([fn], { retrunWhen: "FIRST_COMPLETED" } as unknown as WaitOptions)
    );
    assertInstanceOf(misspelt, TypeError);
    assertStringIncludes(
      (misspelt as Error).message,
      "did you mean returnWhen?",
    );
    const wrongType = await caught(() =>
      wait([fn], { timeout: "10" } as unknown as WaitOptions)
    );
    assertInstanceOf(wrongType, TypeError);
    assertStringIncludes((wrongType as Error).message, "timeout");
    await sleep(1);
    assertEquals(started, 0);
  });
});

Deno.test("`wait` starts no function when a later item's `then` throws", async () => {
  await run(async () => {
    let started = 0;
    const badThenable = {
      then(): never {
        throw new Error("bad thenable");
      },
    };
    const error = await caught(() =>
      wait([() => {
        started++;
      }, badThenable as unknown as Promise<void>])
    );
    assertEquals((error as Error).message, "bad thenable");
    await sleep(1);
    assertEquals(started, 0);
  });
});

Deno.test("`wait` with timeout null or Infinity has no limit", async () => {
  await run(async () => {
    for (const timeout of [null, Infinity]) {
      const { done, pending } = await wait([() => sleep(2, "x")], { timeout });
      assertEquals(done.size, 1);
      assertEquals(pending.size, 0);
    }
    assertEquals(pendingTimers(), 0);
  });
});
