// Adversarial: gather, wait, asCompleted and shield under attack (issue 12,
// items 5, 6, 11, 19, 21, 22). Each error raised must be thrown to one
// caller or reported once; nothing outlives run(); bad input starts nothing.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import {
  asCompleted,
  CancelledError,
  createTask,
  currentTask,
  Future,
  gather,
  type GatherOptions,
  getRunningLoop,
  InvalidStateError,
  run,
  shield,
  type ShieldOptions,
  sleep,
  timeout,
  wait,
} from "@seed/aio";
import { caught, deferred } from "../_helpers.ts";

/** Runs `main`, collecting what the loop's handler and the run report. */
async function collect(
  main: () => Promise<unknown>,
): Promise<{ error: unknown; reported: unknown[] }> {
  const reported: unknown[] = [];
  let error: unknown;
  try {
    await run(() => {
      getRunningLoop().setExceptionHandler((e) => reported.push(e));
      return main();
    }, { onUnobservedError: (e) => reported.push(e) });
  } catch (e) {
    error = e;
  }
  return { error, reported };
}

Deno.test("item 5: `gather` with 50 children failing at once throws the first and reports the other 49 once each", async () => {
  const errors = Array.from({ length: 50 }, (_, i) => new Error(`e${i}`));
  const { error, reported } = await collect(async () => {
    const go = deferred();
    const children = errors.map((e) => async () => {
      await go.promise;
      throw e;
    });
    setTimeout(go.resolve, 1);
    await gather(...children);
  });
  assertStrictEquals(error, errors[0]);
  assertEquals(reported.length, 49);
  assertEquals(new Set(reported).size, 49);
  for (const e of errors.slice(1)) assert(reported.includes(e));
});

Deno.test("item 6: `wait` and `asCompleted` report every error nobody read, once", async () => {
  const rejected = Array.from({ length: 100 }, (_, i) => new Error(`r${i}`));
  const left = new Error("left behind");
  const { error, reported } = await collect(async () => {
    await wait(rejected.map((e) => Promise.reject(e)));
    const { done } = await wait([async () => {
      await sleep(0);
      throw left;
    }, () => sleep(10_000)], { returnWhen: "FIRST_EXCEPTION" });
    assertEquals(done.size, 1);
    for await (const _ of asCompleted([() => sleep(1), () => sleep(5)])) {
      break;
    }
  });
  assertEquals(error, undefined);
  assertEquals(reported.length, 101);
  assertEquals(new Set(reported), new Set([...rejected, left]));
});

Deno.test("item 11: `timeout(50, () => gather(currentTask()))` ends with InvalidStateError at once", async () => {
  const started = performance.now();
  const { error } = await collect(() =>
    timeout(50, () => gather(currentTask()!))
  );
  assertInstanceOf(error, InvalidStateError);
  assert(performance.now() - started < 5_000);
});

Deno.test("item 19: a sibling's failure cancels nothing `gather` was given", async () => {
  const boom = new Error("boom");
  const { error, reported } = await collect(async () => {
    const task = createTask(() => sleep(5, "task"));
    const future = new Future<string>();
    const result = await caught(() =>
      gather(task, future, () => {
        throw boom;
      })
    );
    assertStrictEquals(result, boom);
    assertEquals(task.cancelled() || future.cancelled(), false);
    future.setResult("future");
    assertEquals(await task, "task");
  });
  assertEquals(error, undefined);
  assertEquals(reported, []);
});

Deno.test("item 21: `asCompleted` over 1,000 done items is a cancellation point; 10 concurrent next() calls get 10 items", async () => {
  await run(async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => {
      const future = new Future<number>();
      future.setResult(i);
      return future;
    });
    let got = 0;
    const cancelled = createTask(async () => {
      currentTask()!.cancel();
      for await (const _ of asCompleted(items)) got++;
    });
    assertInstanceOf(await caught(() => cancelled), CancelledError);
    assertEquals(got, 0);

    const pending = Array.from({ length: 10 }, () => deferred<number>());
    const iterator = asCompleted(pending.map((d) => d.promise));
    const nexts = pending.map(() => iterator.next());
    pending.forEach((d, i) => d.resolve(i));
    const values = await Promise.all(
      (await Promise.all(nexts)).map((r) => r.value!),
    );
    assertEquals(values.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

Deno.test("item 22: misspelt and mistyped options are TypeErrors before anything starts", async () => {
  let started = 0;
  const fn = () => {
    started++;
  };
  await run(async () => {
    const cases: [() => unknown, string][] = [
      [
        () =>
          gather(fn, { retrunExceptions: true } as unknown as GatherOptions),
        "did you mean returnExceptions?",
      ],
      [
        () =>
          gather(fn, { returnExceptions: "yes" } as unknown as GatherOptions),
        "returnExceptions",
      ],
      [
        () => shield(fn, { wait: "true" } as unknown as ShieldOptions),
        "wait",
      ],
      [
        () =>
          wait([fn, {
            then() {
              throw new TypeError("bad thenable");
            },
          } as unknown as Promise<void>]),
        "bad thenable",
      ],
      [() => wait([fn, { then: 1 } as unknown as Promise<void>]), "item 1"],
    ];
    for (const [call, message] of cases) {
      const error = await caught(call);
      assertInstanceOf(error, TypeError);
      assertStringIncludes((error as Error).message, message);
    }
    await sleep(1);
  });
  assertEquals(started, 0);
});
