import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  SubprocessExecutor,
  timeout,
  WorkerError,
} from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";

const fixture = new URL("../fixtures/worker_module.ts", import.meta.url);

Deno.test("`SubprocessExecutor` runs calls in another deno process", async () => {
  let executor: SubprocessExecutor | undefined;
  await run(async () => {
    await using pool = new SubprocessExecutor({ size: 1 });
    executor = pool;
    const pid = await getRunningLoop().runInExecutor(pool, () => Deno.pid);
    assertNotEquals(pid, Deno.pid);
    assertEquals(await pool.run(fixture, "add", [2, 3]), 5);
    const m = pool.wrap<typeof import("../fixtures/worker_module.ts")>(fixture);
    assertEquals(await m.echo({ at: new Date(0), set: new Set([1]) }), {
      at: new Date(0),
      set: new Set([1]),
    });
    // The same process served every call.
    assertEquals(await pool.submit(() => Deno.pid), pid);
    assertEquals(pool.stats().started, 1);
  });
  assertEquals(executor!.workerCount, 0);
});

Deno.test("cancelling a call kills its process, even in a loop that never yields", async () => {
  await run(async () => {
    await using pool = new SubprocessExecutor({ size: 1 });
    const first = await pool.submit(() => Deno.pid);
    const task = createTask(() =>
      pool.submit(() => {
        while (true) {
          // Never yields: only killing the process stops this.
        }
      })
    );
    // Let the loop start (the outcome is the same if it has not: the
    // process is killed either way).
    await sleep(50);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assertEquals(pool.stats().replaced, 1);
    // A fresh process takes the next call.
    const second = await pool.submit(() => Deno.pid);
    assertNotEquals(second, first);
    // The killed process counts as terminating until it has exited.
    for (let i = 0; i < 2000 && pool.stats().terminating > 0; i++) {
      await sleep(5);
    }
    assertEquals(pool.stats().terminating, 0);
  });
  // `await using` returned: it waits for every process to be gone, so the
  // spinning one was really stopped (else this test would never end).
});

Deno.test("`SubprocessExecutor` reports errors, crashes and uncloneable values", async () => {
  await run(async () => {
    await using pool = new SubprocessExecutor({ size: 1 });
    const custom = await assertRejects(
      () => pool.run(fixture, "throwCustom"),
      WorkerError,
      "QuotaError: over quota",
    );
    assertEquals((custom.cause as { quota: number }).quota, 42);
    await assertRejects(
      () => pool.run(fixture, "throwType", ["typed"]),
      TypeError,
      "typed",
    );
    await assertRejects(
      () => pool.run(fixture, "exitWorker", [4]),
      WorkerError,
      "Deno.exit(4)",
    );
    await assertRejects(
      () => pool.submit((f: unknown) => f, () => 1),
      TypeError,
      "Cannot send the arguments",
    );
    const secret = 1;
    const closure = await assertRejects(
      () => pool.submit(() => secret),
      TypeError,
      "closures do not travel",
    );
    assertInstanceOf(closure.cause, ReferenceError);
    // Transferred buffers are detached here, as with workers.
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const sum = pool.run(fixture, "byteSum", [buffer], { transfer: [buffer] });
    assertEquals(buffer.byteLength, 0);
    assertEquals(await sum, 6);
  });
});

Deno.test("`SubprocessExecutor` passes permissions as deno flags", async () => {
  await run(async () => {
    await using pool = new SubprocessExecutor({
      size: 1,
      permissions: "none",
    });
    // Source functions need no permission; reading a file does.
    assertEquals(await pool.submit((n: number) => n + 1, 1), 2);
    const error = await assertRejects(() =>
      pool.submit((path: string) => Deno.readTextFileSync(path), "/etc/hosts")
    );
    assert(error instanceof Deno.errors.NotCapable, String(error));
  });
});

Deno.test("the end of `run()` stops an executor's processes and waits for them", async () => {
  // No `await using`: the end of run() kills the idle process, and the
  // resource sanitizer checks that it has exited by the time run returns.
  const pool = new SubprocessExecutor({ size: 1, idleTimeoutMs: Infinity });
  await run(async () => {
    assertEquals(await pool.submit(() => 1), 1);
    assertEquals(pool.workerCount, 1);
  });
  assertEquals(pool.workerCount, 0);
  await pool.close();
});

Deno.test("`SubprocessExecutor` rejects bad options", () => {
  assertThrows(() => new SubprocessExecutor(5 as never), TypeError);
  assertThrows(
    () => new SubprocessExecutor({ denoArgs: "-A" as never }),
    TypeError,
    "denoArgs",
  );
  assertThrows(() => new SubprocessExecutor({ size: 0 }), RangeError);
  assertThrows(
    () => new SubprocessExecutor({ denoArg: [] } as never),
    TypeError,
    "did you mean denoArgs?",
  );
});

Deno.test("virtual time does not jump while a subprocess call is in flight", async () => {
  await withVirtualTime(async (clock) => {
    await run(async () => {
      await using pool = new SubprocessExecutor({ size: 1 });
      // Starting the process and 200 ms of work, under a 60 s virtual timeout.
      const value = await timeout(
        60_000,
        () => pool.run(fixture, "busy", [200, "job"]),
      );
      assertEquals(value, "job");
    });
    assertEquals(clock.elapsed < 60_000, true);
  });
});
