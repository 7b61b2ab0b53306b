// Barrier: ports the intent of CPython's test_locks.py BarrierTests.

import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  createTask,
  currentTask,
  gather,
  run,
  sleep,
} from "@seed/aio";

const tick = (): Promise<undefined> => sleep(0);

Deno.test("`Barrier` releases all parties together with distinct arrival indices", async () => {
  await run(async () => {
    const barrier = new Barrier(3);
    assertEquals(barrier.parties, 3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await tick();
    assertEquals(barrier.nWaiting, 2);
    assertFalse(a.done() || b.done());
    assertEquals(await barrier.wait(), 2);
    assertEquals([await a, await b], [0, 1]);
    assertEquals(barrier.nWaiting, 0);
  });
});

Deno.test("`Barrier` is reusable round after round", async () => {
  await run(async () => {
    const barrier = new Barrier(4);
    const rounds: number[][] = [[], [], []];
    const party = async () => {
      for (const round of rounds) {
        round.push(await barrier.wait());
      }
    };
    await gather(party, party, party, party);
    for (const round of rounds) {
      assertEquals(round.toSorted(), [0, 1, 2, 3]);
    }
    assertFalse(barrier.broken);
  });
});

Deno.test("`Barrier` abort breaks current and later waits until reset", async () => {
  await run(async () => {
    const barrier = new Barrier(3);
    const waiter = createTask(() => barrier.wait());
    await tick();
    await barrier.abort();
    assert(barrier.broken);
    await assertRejects(() => waiter, BrokenBarrierError);
    await assertRejects(() => barrier.wait(), BrokenBarrierError);
    await barrier.reset();
    assertFalse(barrier.broken);
    const indices = await gather(
      () => barrier.wait(),
      () => barrier.wait(),
      () => barrier.wait(),
    );
    assertEquals(indices, [0, 1, 2]);
  });
});

Deno.test("`Barrier` reset fails the waiting tasks and empties the barrier", async () => {
  await run(async () => {
    const barrier = new Barrier(2);
    const waiter = createTask(() => barrier.wait());
    await tick();
    await barrier.reset();
    await assertRejects(() => waiter, BrokenBarrierError);
    assertFalse(barrier.broken);
    assertEquals(barrier.nWaiting, 0);
    // The reset waiter no longer counts: two fresh arrivals are needed.
    const first = createTask(() => barrier.wait());
    await tick();
    assertFalse(first.done());
    assertEquals(await barrier.wait(), 1);
    assertEquals(await first, 0);
  });
});

Deno.test("`Barrier` cancelled waiter leaves without breaking the barrier", async () => {
  await run(async () => {
    const barrier = new Barrier(2);
    const quitter = createTask(() => barrier.wait());
    await tick();
    quitter.cancel();
    await assertRejects(() => quitter, CancelledError);
    assertEquals(barrier.nWaiting, 0);
    assertFalse(barrier.broken);
    const other = createTask(() => barrier.wait());
    await tick();
    assertFalse(other.done());
    assertEquals(await barrier.wait(), 1);
    assertEquals(await other, 0);
  });
});

Deno.test("`Barrier` wait is a cancellation point", async () => {
  await run(async () => {
    const barrier = new Barrier(1);
    const task = createTask(() => {
      currentTask()!.cancel();
      return barrier.wait();
    });
    await assertRejects(() => task, CancelledError);
  });
});

Deno.test("`Barrier` of one party passes at once", async () => {
  const barrier = new Barrier(1);
  assertEquals(await barrier.wait(), 0);
  assertEquals(await barrier.wait(), 0);
});

Deno.test("`Barrier` rejects bad party counts with typed errors", () => {
  assertThrows(() => new Barrier(0), RangeError);
  assertThrows(() => new Barrier(-2), RangeError);
  assertThrows(() => new Barrier(2.5), RangeError);
  assertThrows(() => new Barrier("3" as unknown as number), TypeError);
  assertThrows(() => new Barrier(undefined as unknown as number), TypeError);
});
