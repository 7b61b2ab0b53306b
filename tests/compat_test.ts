// Tests of the npm-only @std adapters in compat/std. They import the adapters
// by path, so they test them whichever world tools/task.ts chose.

import {
  assert,
  assertEquals,
  assertFalse,
  assertGreater,
  assertGreaterOrEqual,
  assertInstanceOf,
  AssertionError,
  assertLess,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
  equal,
  fail,
  unreachable,
} from "../compat/std/assert.ts";
import { FakeTime, TimeError } from "../compat/std/testing/time.ts";
import { parseArgs } from "../compat/std/cli/parse_args.ts";
import {
  abortable,
  deadline,
  debounce,
  delay,
  ERROR_WHILE_MAPPING_MESSAGE,
  pooledMap,
  retry,
  RetryError,
} from "../compat/std/async.ts";

/** The message of the AssertionError `fn` throws; fails if it throws none. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AssertionError) return error.message;
    throw error;
  }
  throw new Error("expected an AssertionError");
}

// ------------------------------------------------------------ @std/assert

class Point {
  constructor(public x: number, public y: number) {}
  get norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

class OtherPoint {
  constructor(public x: number, public y: number) {}
}

Deno.test("equal: structural equality as @std defines it", () => {
  const cases: [unknown, unknown][] = [
    [{ a: [1, { b: "c" }] }, { a: [1, { b: "c" }] }],
    [new Set([1, 2, 3]), new Set([3, 2, 1])],
    [new Set([{ a: 1 }, { b: 2 }]), new Set([{ b: 2 }, { a: 1 }])],
    [new Map([[{ k: 1 }, "v"]]), new Map([[{ k: 1 }, "v"]])],
    [new Map([["a", [1]]]), new Map([["a", [1]]])],
    [new Date(5), new Date(5)],
    [new Date(NaN), new Date(NaN)],
    [NaN, NaN],
    [0, -0],
    [/ab/g, /ab/g],
    [new URL("http://x/a"), new URL("http://x/a")],
    [new Point(1, 2), new Point(1, 2)],
    [{}, Object.create(null)],
    [new Uint8Array([1, 2]), new Uint8Array([1, 2])],
    [[undefined], [undefined]],
  ];
  for (const [a, b] of cases) {
    assert(equal(a, b), `${Deno.inspect(a)} should equal ${Deno.inspect(b)}`);
    assertEquals(a, b);
  }
  const circularA: Record<string, unknown> = { n: 1 };
  circularA.self = circularA;
  const circularB: Record<string, unknown> = { n: 1 };
  circularB.self = circularB;
  assertEquals(circularA, circularB);
});

Deno.test("equal: values @std tells apart", () => {
  const cases: [unknown, unknown][] = [
    [{ a: 1 }, { a: 2 }],
    [{ a: undefined }, {}],
    [[1, 2], [2, 1]],
    [new Set([1]), new Set([2])],
    [new Map([["a", 1]]), new Map([["a", 2]])],
    [new Date(1), new Date(2)],
    [/a/g, /a/i],
    [new Point(1, 2), new OtherPoint(1, 2)],
    [new Point(1, 2), new Point(2, 1)],
    [[1], { 0: 1 }],
    ["1", 1],
    [null, undefined],
    [new Uint8Array([1]), new Uint8Array([2])],
  ];
  for (const [a, b] of cases) {
    assertFalse(equal(a, b), `${Deno.inspect(a)} == ${Deno.inspect(b)}`);
  }
  assertThrows(() => equal(new WeakMap(), new WeakMap()), TypeError);
});

Deno.test("assertEquals: the failure shows actual and expected", () => {
  const message = failure(() =>
    assertEquals({ name: "aio", n: 1 }, { name: "aio", n: 2 }, "counts")
  );
  assertStringIncludes(message, "Values are not equal: counts");
  assertStringIncludes(message, "[Diff] Actual / Expected");
  assertMatch(message, /^-\s+n: 1,$/m);
  assertMatch(message, /^\+\s+n: 2,$/m);
  assertMatch(message, /^\s+name: "aio",$/m);
  assertStringIncludes(
    failure(() => assertEquals(1, 2)),
    "Values are not equal.",
  );
});

Deno.test("assertNotEquals, assertStrictEquals", () => {
  assertNotEquals({ a: 1 }, { a: 2 });
  assertStringIncludes(
    failure(() => assertNotEquals(1, 1)),
    "Expected actual: 1 not to be: 1.",
  );
  const obj = { a: 1 };
  assertStrictEquals(obj, obj);
  assertStringIncludes(
    failure(() => assertStrictEquals({ a: 1 }, { a: 1 })),
    "Values have the same structure but are not reference-equal",
  );
  assertStringIncludes(
    failure(() => assertStrictEquals(1, 2)),
    "Values are not strictly equal",
  );
});

Deno.test("assert, assertFalse", () => {
  assert(1);
  assertFalse(0);
  assertEquals(failure(() => assert(false, "nope")), "nope");
  assertEquals(failure(() => assertFalse("x")), "");
});

Deno.test("assertInstanceOf", () => {
  const value: unknown = new Point(3, 4);
  assertInstanceOf(value, Point);
  assertEquals(value.norm, 5); // narrowed to Point
  assertEquals(
    failure(() => assertInstanceOf(new OtherPoint(0, 0), Point)),
    'Expected object to be an instance of "Point" but was "OtherPoint".',
  );
  assertEquals(
    failure(() => assertInstanceOf(1, Point)),
    'Expected object to be an instance of "Point" but was "number".',
  );
});

Deno.test("string assertions", () => {
  assertMatch("task-7", /task-\d/);
  assertStringIncludes("structured", "struct");
  assertEquals(
    failure(() => assertMatch("x", /y/)),
    'Expected actual: "x" to match: "/y/".',
  );
  assertEquals(
    failure(() => assertStringIncludes("abc", "d", "why")),
    'Expected actual: "abc" to contain: "d": why',
  );
});

Deno.test("ordering", () => {
  assertGreater(2, 1);
  assertGreaterOrEqual(2, 2);
  assertLess(1, 2);
  assertEquals(failure(() => assertGreater(1, 2)), "Expect 1 > 2");
  assertEquals(failure(() => assertLess(2, 1, "custom")), "custom");
  assertEquals(failure(() => assertGreaterOrEqual(1, 2)), "Expect 1 >= 2");
});

Deno.test("fail, unreachable", () => {
  assertEquals(failure(() => fail()), "Failed assertion.");
  assertEquals(failure(() => fail("why")), "Failed assertion: why");
  assertEquals(failure(() => unreachable()), "Unreachable.");
  assertEquals(new AssertionError("m").name, "AssertionError");
});

Deno.test("assertThrows: both overloads", () => {
  // (fn, ErrorClass, msgIncludes) returns the error, typed.
  const error = assertThrows(
    () => {
      throw new RangeError("too far");
    },
    RangeError,
    "far",
  );
  assertEquals(error.message, "too far");
  // (fn) and (fn, msg) return whatever was thrown.
  assertEquals(
    assertThrows(() => {
      throw "plain";
    }),
    "plain",
  );
  assertEquals(
    failure(() => assertThrows(() => {}, "it must throw")),
    "Expected function to throw: it must throw",
  );
  assertEquals(
    failure(() => assertThrows(() => {})),
    "Expected function to throw.",
  );
  assertStringIncludes(
    failure(() =>
      assertThrows(() => {
        throw new Error("x");
      }, TypeError)
    ),
    'Expected error to be instance of "TypeError"',
  );
  assertStringIncludes(
    failure(() =>
      assertThrows(
        () => {
          throw new Error("x");
        },
        Error,
        "y",
      )
    ),
    'Expected error message to include "y"',
  );
  assertEquals(
    failure(() =>
      assertThrows(() => {
        throw 42;
      }, Error)
    ),
    "A non-Error object was thrown.",
  );
});

Deno.test("assertRejects: both overloads", async () => {
  const error = await assertRejects(
    () => Promise.reject(new TypeError("bad input")),
    TypeError,
    "input",
  );
  assertEquals(error.message, "bad input");
  assertEquals(await assertRejects(() => Promise.reject(7)), 7);
  await assertRejects(
    () => assertRejects(() => Promise.resolve(1), "must reject"),
    AssertionError,
    "Expected function to reject: must reject",
  );
  await assertRejects(
    () =>
      assertRejects(() => {
        throw new Error("sync");
      }),
    AssertionError,
    "Function throws when expected to reject.",
  );
  await assertRejects(
    () => assertRejects(() => Promise.reject(new Error("x")), RangeError),
    AssertionError,
    'Expected error to be instance of "RangeError"',
  );
  await assertRejects(
    () => assertRejects(() => Promise.reject("str"), Error),
    AssertionError,
    "A non-Error object was rejected.",
  );
});

// ------------------------------------------------------- @std/testing/time

Deno.test("FakeTime fakes timers and Date, not performance.now or microtasks", async () => {
  const originals = {
    Date,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    timeout: AbortSignal.timeout,
    now: performance.now,
    queueMicrotask,
  };
  const realStart = performance.now();
  {
    using time = new FakeTime(1_000_000);
    assertEquals(time.start, 1_000_000);
    assertEquals(Date.now(), 1_000_000);
    assertEquals(new Date().getTime(), 1_000_000);
    assert(new Date() instanceof originals.Date);
    assertNotEquals(setTimeout, originals.setTimeout);
    assertNotEquals(AbortSignal.timeout, originals.timeout);
    assertStrictEquals(performance.now, originals.now);
    assertStrictEquals(queueMicrotask, originals.queueMicrotask);

    const fired: string[] = [];
    setTimeout(() => fired.push(`b@${Date.now()}`), 200);
    setTimeout(() => fired.push(`a@${Date.now()}`), 100);
    const cancelled = setTimeout(() => fired.push("never"), 150);
    clearTimeout(cancelled);
    time.tick(99);
    assertEquals(fired, []);
    time.tick(101);
    assertEquals(fired, ["a@1000100", "b@1000200"]);
    assertEquals(time.now, 1_000_200);

    // An hour of fake time passes in no real time.
    time.tick(3_600_000);
    assertEquals(Date.now(), 1_000_200 + 3_600_000);
    assertLess(performance.now() - realStart, 3_000);

    // Microtasks are real: they run when awaited, not by ticking.
    let ran = false;
    queueMicrotask(() => ran = true);
    await time.runMicrotasks();
    assert(ran);
  }
  assertStrictEquals(Date, originals.Date);
  assertStrictEquals(setTimeout, originals.setTimeout);
  assertStrictEquals(clearTimeout, originals.clearTimeout);
  assertStrictEquals(setInterval, originals.setInterval);
  assertStrictEquals(clearInterval, originals.clearInterval);
  assertStrictEquals(AbortSignal.timeout, originals.timeout);
});

Deno.test("FakeTime: intervals, zero delays inside a tick, AbortSignal.timeout", () => {
  using time = new FakeTime(0);
  const log: string[] = [];
  const interval = setInterval(() => log.push(`i${Date.now()}`), 30);
  setTimeout(() => {
    log.push(`t${Date.now()}`);
    // @std runs a 0 ms timer made inside a tick at the same fake time.
    setTimeout(() => log.push(`z${Date.now()}`), 0);
  }, 45);
  const signal = AbortSignal.timeout(70);
  signal.addEventListener("abort", () => log.push(`abort${Date.now()}`));
  time.tick(100);
  clearInterval(interval);
  time.tick(100);
  assertEquals(log, ["i30", "t45", "z45", "i60", "abort70", "i90"]);
  assertInstanceOf(signal.reason, DOMException);
  assertEquals(signal.reason.name, "TimeoutError");
});

Deno.test("FakeTime: next, runAll, now setter, throwing callbacks", () => {
  using time = new FakeTime(0);
  assertFalse(time.next());
  const log: number[] = [];
  setTimeout(() => log.push(Date.now()), 10);
  setTimeout(() => log.push(Date.now()), 10);
  setTimeout(() => log.push(Date.now()), 30);
  assert(time.next());
  assertEquals(log, [10, 10]);
  time.runAll();
  assertEquals(log, [10, 10, 30]);
  assertEquals(time.now, 30);

  assertThrows(() => time.tick(-1), RangeError);
  assertThrows(() => time.now = 0, RangeError);

  setTimeout(() => {
    throw new Error("boom");
  }, 10);
  setTimeout(() => log.push(Date.now()), 20);
  assertThrows(() => time.tick(100), Error, "boom");
  // Time stopped at the throwing timer; the later one has not run.
  assertEquals(time.now, 40);
  assertEquals(log, [10, 10, 30]);
  time.tick(100);
  assertEquals(log, [10, 10, 30, 50]);
  assertEquals(time.now, 140);
});

Deno.test("FakeTime: async stepping lets promise chains run between timers", async () => {
  using time = new FakeTime(0);
  const log: string[] = [];
  setTimeout(async () => {
    log.push("first");
    await Promise.resolve();
    setTimeout(() => log.push(`second@${Date.now()}`), 5);
  }, 5);
  await time.tickAsync(5);
  assertEquals(log, ["first"]);
  assert(await time.nextAsync());
  assertEquals(log, ["first", "second@10"]);
  setTimeout(() => log.push("last"), 1);
  await time.runAllAsync();
  assertEquals(log.at(-1), "last");
});

Deno.test("FakeTime: errors, delay in real time, restoreFor", async () => {
  const time = new FakeTime(500);
  assertThrows(() => new FakeTime(), TimeError, "already faked");
  const fakeSetTimeout = setTimeout;

  const before = performance.now();
  await time.delay(20);
  assertGreaterOrEqual(performance.now() - before, 15);
  assertEquals(Date.now(), 500);

  const controller = new AbortController();
  const aborted = time.delay(10_000, { signal: controller.signal });
  controller.abort();
  await assertRejects(() => aborted, DOMException, "Delay was aborted.");

  const inside = await FakeTime.restoreFor(() => setTimeout);
  assertNotEquals(inside, fakeSetTimeout);
  assertStrictEquals(setTimeout, fakeSetTimeout);

  time.restore();
  assertThrows(() => time.restore(), TimeError, "already restored");
  assertThrows(() => FakeTime.restore(), TimeError);
  assertThrows(() => fakeSetTimeout(() => {}, 0), TimeError, "not faked");
  await assertRejects(() => FakeTime.restoreFor(() => 1), TimeError);
  assertThrows(() => new FakeTime("not a date"), TypeError);
});

Deno.test("FakeTime drives the async helpers", async () => {
  using time = new FakeTime(0);
  let done = false;
  const waiting = delay(1000).then(() => done = true);
  await time.tickAsync(999);
  assertFalse(done);
  await time.tickAsync(1);
  await waiting;
  assert(done);

  const never = new Promise<never>(() => {});
  const bounded = deadline(never, 500);
  time.tick(500);
  const error = await assertRejects(() => bounded, DOMException);
  assertEquals(error.name, "TimeoutError");
});

// ----------------------------------------------------- @std/cli/parse-args

Deno.test("parseArgs: strings, booleans, defaults, aliases", () => {
  const args = parseArgs(
    ["--port", "8080", "-v", "--host=::1", "file.txt", "42"],
    {
      string: ["host"],
      boolean: ["verbose", "help"],
      default: { host: "127.0.0.1", port: 8888 },
      alias: { v: "verbose" },
    },
  );
  const host: string = args.host;
  const help: boolean = args.help;
  assertEquals(host, "::1");
  assertFalse(help);
  assertEquals(args.port, 8080);
  assertEquals(args.verbose, true);
  assertEquals(args.v, true);
  assertEquals(args._, ["file.txt", 42]);
  assertEquals(parseArgs([], { default: { port: 8888 } }).port, 8888);
  assertEquals(parseArgs(["--n", "007"], { string: ["n"] }).n, "007");
  assertEquals(parseArgs(["--s"], { string: ["s"] }).s, "");
});

Deno.test("parseArgs: --, negation, repeats, unknown", () => {
  const dashed = parseArgs(["a", "--", "--not-a-flag", "b"], { "--": true });
  const rest: string[] = dashed["--"];
  assertEquals(rest, ["--not-a-flag", "b"]);
  assertEquals(dashed._, ["a"]);
  assertEquals(parseArgs(["a", "--", "--x"])._, ["a", "--x"]);

  // As in @std: --no-x negates only negatable flags.
  assertEquals(parseArgs(["--no-color"])["no-color"], true);
  assertEquals(
    parseArgs(["--no-color"], { negatable: ["color"] }).color,
    false,
  );

  // A repeated flag keeps its last value unless it collects.
  assertEquals(parseArgs(["--tag", "a", "--tag", "b"]).tag, "b");
  const collected = parseArgs(["--tag", "a", "--tag", "b"], {
    string: ["tag", "label"],
    collect: ["tag", "label"],
  });
  const tags: string[] = collected.tag;
  assertEquals(tags, ["a", "b"]);
  assertEquals(collected.label, []);

  const seen: unknown[][] = [];
  const parsed = parseArgs(["--known", "--bad=1", "pos", "--drop"], {
    boolean: ["known"],
    unknown: (arg, key, value) => {
      seen.push([arg, key, value]);
      return key !== "drop";
    },
  });
  assertEquals(seen, [
    ["--bad=1", "bad", "1"],
    ["pos", undefined, undefined],
    ["--drop", "drop", undefined],
  ]);
  assertEquals(parsed.bad, 1);
  assertEquals(parsed._, ["pos"]);
  assertFalse("drop" in parsed);
});

// ------------------------------------------------------------ @std/async

Deno.test("delay resolves, and rejects with the signal's reason", async () => {
  const before = performance.now();
  await delay(10);
  assertGreaterOrEqual(performance.now() - before, 8);
  const controller = new AbortController();
  const waiting = delay(10_000, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assertRejects(() => waiting, Error, "stop");
  await assertRejects(() => delay(1, { signal: AbortSignal.abort("early") }));
});

Deno.test("deadline and abortable", async () => {
  assertEquals(await deadline(Promise.resolve(7), 1000), 7);
  // AbortSignal.timeout's timer does not keep Deno's event loop alive (with
  // @std's deadline too), so a real timer does it while we wait.
  const [error] = await Promise.all([
    assertRejects(() => deadline(new Promise(() => {}), 5), DOMException),
    delay(50),
  ]);
  assertEquals(error.name, "TimeoutError");

  const controller = new AbortController();
  const pending = abortable(new Promise(() => {}), controller.signal);
  controller.abort(new Error("cancelled"));
  await assertRejects(() => pending, Error, "cancelled");

  async function* numbers(): AsyncGenerator<number> {
    yield 1;
    yield 2;
    // Aborting must not wait for this (closing the generator does).
    await delay(30);
    yield 3;
  }
  const stop = new AbortController();
  const seen: number[] = [];
  await assertRejects(
    async () => {
      for await (const n of abortable(numbers(), stop.signal)) {
        seen.push(n);
        if (n === 2) queueMicrotask(() => stop.abort(new Error("enough")));
      }
    },
    Error,
    "enough",
  );
  assertEquals(seen, [1, 2]);
});

Deno.test("pooledMap keeps order, bounds concurrency, aggregates errors", async () => {
  let running = 0;
  let peak = 0;
  const results: number[] = [];
  for await (
    const value of pooledMap(2, [30, 10, 20, 5], async (ms) => {
      running++;
      peak = Math.max(peak, running);
      await delay(ms);
      running--;
      return ms * 2;
    })
  ) {
    results.push(value);
  }
  assertEquals(results, [60, 20, 40, 10]);
  assertEquals(peak, 2);

  const error = await assertRejects(
    async () => {
      for await (
        const _ of pooledMap(2, [1, 2, 3], (n) => {
          if (n === 2) return Promise.reject(new Error(`item ${n}`));
          return Promise.resolve(n);
        })
      ) {
        // drain
      }
    },
    AggregateError,
    ERROR_WHILE_MAPPING_MESSAGE,
  );
  assertEquals(error.errors.map((e: Error) => e.message), ["item 2"]);
});

Deno.test("retry retries with backoff, then gives up with RetryError", async () => {
  let calls = 0;
  const value = await retry(() => {
    if (++calls < 3) throw new Error(`attempt ${calls}`);
    return "ok";
  }, { minTimeout: 1, maxTimeout: 5, jitter: 0 });
  assertEquals(value, "ok");
  assertEquals(calls, 3);

  const error = await assertRejects(
    () =>
      retry(() => Promise.reject(new Error("always")), {
        maxAttempts: 2,
        minTimeout: 1,
      }),
    RetryError,
    "Retrying exceeded the maxAttempts (2).",
  );
  assertInstanceOf(error.cause, Error);
  assertEquals(error.cause.message, "always");
  await assertRejects(() => retry(() => 1, { maxTimeout: 0 }), TypeError);
  await assertRejects(
    () => retry(() => 1, { minTimeout: 10, maxTimeout: 5 }),
    TypeError,
  );
  await assertRejects(() => retry(() => 1, { jitter: 2 }), TypeError);
});

Deno.test("debounce calls once with the latest arguments", () => {
  using time = new FakeTime(0);
  const calls: string[] = [];
  const save = debounce((text: string) => calls.push(text), 100);
  save("a");
  time.tick(50);
  save("b");
  assert(save.pending);
  time.tick(99);
  assertEquals(calls, []);
  time.tick(1);
  assertEquals(calls, ["b"]);
  assertFalse(save.pending);

  save("c");
  save.flush();
  assertEquals(calls, ["b", "c"]);
  save("d");
  save.clear();
  time.tick(1000);
  assertEquals(calls, ["b", "c"]);
});
