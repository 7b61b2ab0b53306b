import {
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { WorkerError } from "@seed/aio";
import {
  rebuildError,
  serializeError,
} from "../../lib/workers/_errors_wire.ts";

/** What the pool gets: serialised, cloned as postMessage would, rebuilt. */
function roundTrip(thrown: unknown): unknown {
  return rebuildError(structuredClone(serializeError(thrown)));
}

Deno.test("built-in errors cross as themselves, with stack, cause and properties", () => {
  const original = Object.assign(
    new TypeError("bad", { cause: new RangeError("inner") }),
    { code: "E_BAD" },
  );
  const error = roundTrip(original);
  assertInstanceOf(error, TypeError);
  assertEquals(error.message, "bad");
  assertEquals(error.stack, original.stack);
  assertEquals((error as unknown as { code: string }).code, "E_BAD");
  assertInstanceOf(error.cause, RangeError);
  assertEquals((error.cause as Error).message, "inner");
});

Deno.test("AggregateError, DOMException and Deno's error classes are rebuilt", () => {
  const aggregate = roundTrip(
    new AggregateError([new Error("one"), new URIError("two")], "both"),
  );
  assertInstanceOf(aggregate, AggregateError);
  assertEquals(aggregate.errors.map((e: Error) => e.message), ["one", "two"]);
  assertInstanceOf(aggregate.errors[1], URIError);
  const dom = roundTrip(new DOMException("gone", "AbortError"));
  assertInstanceOf(dom, DOMException);
  assertEquals((dom as DOMException).name, "AbortError");
  assertInstanceOf(
    roundTrip(new Deno.errors.NotFound("nope")),
    Deno.errors.NotFound,
  );
});

Deno.test("an error of another class becomes a WorkerError holding the original", () => {
  class QuotaError extends Error {
    quota = 42;
    override name = "QuotaError";
  }
  const error = roundTrip(new QuotaError("over quota"));
  assertInstanceOf(error, WorkerError);
  assertStringIncludes(error.message, "QuotaError: over quota");
  const cause = error.cause as Error & { quota: number };
  assertEquals([cause.name, cause.message, cause.quota], [
    "QuotaError",
    "over quota",
    42,
  ]);
});

Deno.test("non-errors cross as their value; uncloneable properties and deep causes are dropped", () => {
  assertStrictEquals(roundTrip("plain string"), "plain string");
  assertEquals(roundTrip({ code: 7 }), { code: 7 });
  const fn = (): void => {};
  const withFunction = Object.assign(new Error("x"), { fn, n: 1 });
  const rebuilt = roundTrip(withFunction) as Error & {
    fn?: unknown;
    n: number;
  };
  assertEquals([rebuilt.fn, rebuilt.n], [undefined, 1]);
  let deep: Error = new Error("0");
  for (let i = 1; i <= 20; i++) deep = new Error(String(i), { cause: deep });
  let depth = 0;
  for (
    let e: unknown = roundTrip(deep);
    e instanceof Error;
    e = e.cause
  ) depth++;
  assertEquals(depth, 9);
});
