// Direct tests of the fair wait queue (lib/_core/_wait_queue.ts).

import { assertEquals, assertInstanceOf } from "@std/assert";
import { CancelledError } from "@seed/aio";
import { Scope } from "../../lib/_core/_scope.ts";
import { WaitQueue } from "../../lib/_core/_wait_queue.ts";
import { caught } from "../_helpers.ts";

Deno.test("`WaitQueue` wakes waiters first in, first out, each with its value", async () => {
  const queue = new WaitQueue<string>();
  const scope = new Scope(undefined, undefined, "test");
  const order: string[] = [];
  const waits = ["a", "b", "c"].map((name) =>
    queue.park(scope).then((v) => order.push(`${name}:${v}`))
  );
  assertEquals(queue.size, 3);
  queue.unpark("1");
  queue.unpark("2");
  queue.unpark("3");
  await Promise.all(waits);
  assertEquals(order, ["a:1", "b:2", "c:3"]);
  assertEquals(queue.unpark("none"), false);
  scope.close();
});

Deno.test("`WaitQueue`: a cancelled waiter leaves the queue and the next one gets the wake-up", async () => {
  const queue = new WaitQueue<number>();
  const first = new Scope(undefined, undefined, "first");
  const second = new Scope(undefined, undefined, "second");
  let released = 0;
  const a = queue.park(first, () => released++);
  const b = queue.park(second);
  first.cancel();
  assertInstanceOf(await caught(() => a), CancelledError);
  assertEquals(released, 1);
  assertEquals(queue.size, 1);
  queue.unpark(7);
  assertEquals(await b, 7);
  first.close();
  second.close();
});

Deno.test("`WaitQueue`: a woken waiter keeps its value even if cancelled before it resumes", async () => {
  const queue = new WaitQueue<string>();
  const scope = new Scope(undefined, undefined, "s");
  let released = 0;
  const wait = queue.park(scope, () => released++);
  queue.unpark("handed over");
  scope.cancel();
  assertEquals(await wait, "handed over");
  assertEquals(released, 0);
  scope.close();
});

Deno.test("`WaitQueue.rejectAll` and `unparkAll` settle every waiter", async () => {
  const queue = new WaitQueue<number>();
  const scope = new Scope(undefined, undefined, "s");
  const waits = [queue.park(scope), queue.park(scope)];
  assertEquals(queue.unparkAll(1), 2);
  assertEquals(await Promise.all(waits), [1, 1]);
  const failing = [queue.park(scope), queue.park(scope)];
  const broken = new Error("broken");
  assertEquals(queue.rejectAll(broken), 2);
  for (const f of failing) assertEquals(await caught(() => f), broken);
  assertEquals(queue.size, 0);
  scope.close();
});

Deno.test("`WaitQueue.park` in a cancelled scope throws at once and never queues", async () => {
  const queue = new WaitQueue<number>();
  const scope = new Scope(undefined, undefined, "s");
  scope.cancel();
  let released = 0;
  assertInstanceOf(
    await caught(() => queue.park(scope, () => released++)),
    CancelledError,
  );
  assertEquals(queue.size, 0);
  assertEquals(released, 0);
  scope.close();
});
