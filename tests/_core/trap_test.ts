// Direct tests of the one wait primitive (lib/_core/_trap.ts): the cancelled
// check, linking into the scope, the hooks, real work and virtual time.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertStrictEquals,
} from "@std/assert";
import { CancelledError, run, timeout, TimeoutError } from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";
import { currentScope, Scope, waitHook } from "../../lib/_core/_scope.ts";
import {
  realWorkInFlight,
  suspend,
  Wait,
  waitPromise,
} from "../../lib/_core/_trap.ts";
import { caught } from "../_helpers.ts";

/** A wait that records what the primitive did to it. */
class Probe extends Wait<string> {
  armed = 0;
  disarmed = 0;
  override arm(): void {
    this.armed++;
  }
  override disarm(): void {
    this.disarmed++;
  }
}

Deno.test("`suspend()` on a cancelled scope rejects at once and never arms the wait", async () => {
  const scope = new Scope(undefined, undefined, "test");
  scope.cancel("stop");
  const probe = new Probe();
  const error = await caught(() => suspend(probe, scope, "park"));
  assertInstanceOf(error, CancelledError);
  assertEquals((error as CancelledError).reason, "stop");
  assertEquals(probe.armed, 0);
  assert(probe.settled);
  scope.close();
});

Deno.test("`suspend()` links the wait: a cancellation disarms it once and rejects", async () => {
  const scope = new Scope(undefined, undefined, "test");
  const probe = new Probe();
  const waiting = suspend(probe, scope, "park");
  assertEquals(probe.armed, 1);
  assertStrictEquals(probe.linkedTo, scope);
  scope.cancel("why");
  assertInstanceOf(await caught(() => waiting), CancelledError);
  assertEquals(probe.disarmed, 1);
  assertEquals(probe.linkedTo, undefined);
  // A wake-up after the cancellation is ignored.
  assertEquals(probe.wake("late"), false);
  scope.close();
});

Deno.test("`suspend()`: a woken wait is unlinked, and a later cancel does not touch it", async () => {
  const scope = new Scope(undefined, undefined, "test");
  const probe = new Probe();
  const waiting = suspend(probe, scope, "park");
  assert(probe.wake("value"));
  assertEquals(probe.linkedTo, undefined);
  scope.cancel();
  assertEquals(await waiting, "value");
  assertEquals(probe.disarmed, 0);
  scope.close();
});

Deno.test("`suspend()`: the hook hears the wait end before the waiter resumes", async () => {
  const events: string[] = [];
  const scope = new Scope(undefined, undefined, "test");
  const previous = waitHook.current;
  waitHook.current = (_scope, kind) => {
    events.push(`begin ${kind}`);
    return () => events.push("end");
  };
  try {
    const probe = new Probe();
    const waiting = suspend(probe, scope, "worker").then((v) => {
      events.push(`resumed ${v}`);
    });
    probe.wake("x");
    events.push("woken");
    await waiting;
  } finally {
    waitHook.current = previous;
    scope.close();
  }
  // "end" is heard synchronously inside wake(): watching adds no turn.
  assertEquals(events, ["begin worker", "end", "woken", "resumed x"]);
});

Deno.test("`suspend()` counts worker, process and remote waits as real work in flight", async () => {
  const scope = new Scope(undefined, undefined, "test");
  const before = realWorkInFlight();
  const a = new Probe();
  const b = new Probe();
  const c = new Probe();
  const done = [
    suspend(a, scope, "worker"),
    suspend(b, scope, "process"),
    suspend(c, scope, "sleep"),
  ];
  assertEquals(realWorkInFlight(), before + 2);
  a.wake("a");
  assertEquals(realWorkInFlight(), before + 1);
  scope.cancel();
  await Promise.allSettled(done);
  assertEquals(realWorkInFlight(), before);
  scope.close();
});

Deno.test("`waitPromise()` is a cancellation point whose onCancel releases the work", async () => {
  const scope = new Scope(undefined, undefined, "test");
  let released = 0;
  const waiting = waitPromise(new Promise(() => {}), scope, "promise", () => {
    released++;
  });
  scope.cancel();
  assertInstanceOf(await caught(() => waiting), CancelledError);
  assertEquals(released, 1);
  scope.close();
  // Outside any scope it is the promise itself.
  assertEquals(await waitPromise(Promise.resolve(7), undefined), 7);
});

Deno.test("virtual time does not jump while real work is in flight", async () => {
  // A 100 ms piece of real work (a host timer standing for a worker call),
  // under a 60 s virtual timeout: the clock must wait for it.
  const value = await withVirtualTime(() =>
    run(() =>
      timeout(60_000, () =>
        waitPromise(
          new Promise<string>((r) => setTimeout(() => r("done"), 100)),
          currentScope(),
          "worker",
        ))
    )
  );
  assertEquals(value, "done");
});

Deno.test("a TimeoutError raised under virtual time says the clock was virtual", async () => {
  const error = await withVirtualTime(() =>
    run(() =>
      caught(() =>
        timeout(
          1_000,
          () => waitPromise(new Promise(() => {}), currentScope(), "promise"),
        )
      )
    )
  );
  assertInstanceOf(error, TimeoutError);
  assertMatch((error as Error).message, /virtual time/);
});
