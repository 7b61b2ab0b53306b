import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  checkpoint,
  createTask,
  gather,
  getRunningLoop,
  InvalidStateError,
  moveOnAfter,
  run,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { type VirtualClock, withVirtualTime } from "@seed/aio/testing";
import { waitHook } from "../lib/_core/_scope.ts";
import { hostClock, now, pendingTimers } from "../lib/_core/_timers.ts";

Deno.test("`withVirtualTime` runs a one-hour timeout in milliseconds", async () => {
  const started = performance.now();
  const elapsed = await withVirtualTime(async (clock) => {
    await run(async () => {
      const error = await timeout(3_600_000, () => sleep(7_200_000)).catch(
        (e) => e,
      );
      assertInstanceOf(error, TimeoutError);
    });
    return clock.elapsed;
  });
  assertEquals(elapsed, 3_600_000);
  assertLess(performance.now() - started, 2_000);
});

Deno.test("under virtual time timers fire in deadline order, the same every time", async () => {
  const trial = () =>
    withVirtualTime(() =>
      run(async () => {
        const seen: string[] = [];
        const loop = getRunningLoop();
        const t0 = loop.time();
        await taskGroup((tg) => {
          for (const [name, ms] of [["c", 300], ["a", 100], ["b", 200]]) {
            tg.createTask(async () => {
              await sleep(ms as number);
              seen.push(`${name}@${loop.time() - t0}`);
            });
          }
          loop.callLater(150, () => seen.push(`callLater@${loop.time() - t0}`));
          tg.createTask(async () => {
            const value = await moveOnAfter(250, () => sleep(1_000, "late"));
            seen.push(`moveOnAfter=${value}@${loop.time() - t0}`);
          });
        });
        return seen;
      })
    );
  const first = await trial();
  assertEquals(first, [
    "a@100",
    "callLater@150",
    "b@200",
    "moveOnAfter=undefined@250",
    "c@300",
  ]);
  assertEquals(await trial(), first);
});

Deno.test("virtual time jumps only once every task is blocked", async () => {
  await withVirtualTime(async (clock) => {
    await run(async () => {
      let spins = 0;
      const spinner = createTask(async () => {
        // Busy with checkpoints: time must not move while it runs.
        for (let i = 0; i < 200; i++) {
          spins++;
          await checkpoint();
        }
      });
      const start = clock.now();
      await sleep(10);
      assertEquals(spins, 200); // the sleep could not end before the spinner
      assertEquals(clock.now() - start, 10);
      await spinner;
    });
  });
});

Deno.test("`VirtualClock.advance` moves time by hand when autojump is off", async () => {
  await withVirtualTime(async (clock) => {
    await run(async () => {
      const log: number[] = [];
      const t0 = clock.now();
      const ticker = createTask(async () => {
        for (let i = 0; i < 5; i++) {
          await sleep(100);
          log.push(clock.now() - t0);
        }
      });
      await clock.advance(250);
      assertEquals(log, [100, 200]);
      assertEquals(clock.now() - t0, 250);
      const pending = clock.advance(1);
      assertThrows(() => clock.advance(1), InvalidStateError);
      await pending;
      await clock.advance(1_000);
      assertEquals(log, [100, 200, 300, 400, 500]);
      await ticker;
      clock.jump(5);
      assertEquals(clock.now() - t0, 1_256);
    });
  }, { autojumpThresholdMs: Infinity });
});

Deno.test("leaving `withVirtualTime` restores the real clock and leaves no timer", async () => {
  const timers = pendingTimers();
  let clock: VirtualClock | undefined;
  await withVirtualTime(async (c) => {
    clock = c;
    await sleep(60_000);
    assertEquals(c.elapsed, 60_000);
  });
  assertEquals(pendingTimers(), timers);
  assertEquals(waitHook.current, undefined);
  // Real time again: aio's clock agrees with the host's.
  assertLess(Math.abs(now() - hostClock.now()), 50);
  assertThrows(() => clock!.jump(1), InvalidStateError);
  // A real sleep still works.
  await sleep(1);
});

Deno.test("`withVirtualTime` restores the clock when its body throws", async () => {
  await assertRejects(
    () =>
      withVirtualTime(async () => {
        await sleep(1_000);
        throw new RangeError("inside");
      }),
    RangeError,
    "inside",
  );
  assertLess(Math.abs(now() - hostClock.now()), 50);
});

Deno.test("`withVirtualTime` rejects nesting and bad arguments", async () => {
  await assertRejects(() => withVirtualTime(42 as never), TypeError);
  await assertRejects(
    () => withVirtualTime(() => {}, { autojumpThresholdMs: -1 }),
    RangeError,
  );
  await assertRejects(
    () => withVirtualTime(() => {}, { autojumpThresholdMs: "0" as never }),
    TypeError,
  );
  await assertRejects(() => withVirtualTime(() => {}, 7 as never), TypeError);
  await withVirtualTime(async (clock) => {
    await assertRejects(() => withVirtualTime(() => {}), InvalidStateError);
    assertThrows(() => clock.advance(NaN), TypeError);
    assertThrows(() => {
      clock.autojumpThresholdMs = -5;
    }, RangeError);
  });
  assertEquals(waitHook.current, undefined);
});

Deno.test("virtual time waits for real I/O given an autojump threshold", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  try {
    await withVirtualTime(async (clock) => {
      await run(async () => {
        await gather(
          async () => {
            const conn = await listener.accept();
            const buf = new Uint8Array(16);
            const n = await conn.read(buf);
            await conn.write(buf.subarray(0, n!));
            conn.close();
          },
          () =>
            // Raw socket calls aio does not see: the threshold keeps the
            // clock from jumping to the deadline while bytes are in flight.
            timeout(1_000, async () => {
              const conn = await Deno.connect({ hostname: "127.0.0.1", port });
              await conn.write(new TextEncoder().encode("ping"));
              const buf = new Uint8Array(16);
              const n = await conn.read(buf);
              conn.close();
              assertEquals(
                new TextDecoder().decode(buf.subarray(0, n!)),
                "ping",
              );
            }),
        );
      });
      assertLess(clock.elapsed, 1_000);
    }, { autojumpThresholdMs: 50 });
  } finally {
    listener.close();
  }
});

Deno.test("virtual time works without run(): plain aio calls", async () => {
  const order = await withVirtualTime(async (clock) => {
    const seen: number[] = [];
    await Promise.all([
      sleep(30).then(() => seen.push(30)),
      sleep(10).then(() => seen.push(10)),
      taskGroup((tg) => {
        tg.createTask(async () => {
          await sleep(20);
          seen.push(20);
        });
      }),
    ]);
    assert(clock.elapsed === 30);
    return seen;
  });
  assertEquals(order, [10, 20, 30]);
});
