import { assertEquals } from "@std/assert";
import { CallQueue } from "../../lib/workers/_call_queue.ts";

interface Item {
  id: number;
  queued: boolean;
}

function items(n: number): Item[] {
  return Array.from({ length: n }, (_, id) => ({ id, queued: false }));
}

Deno.test("`CallQueue` is first in, first out, and skips removed items", () => {
  const queue = new CallQueue<Item>();
  const [a, b, c] = items(3);
  queue.push(a);
  queue.push(b);
  queue.push(c);
  assertEquals(queue.size, 3);
  assertEquals(queue.remove(b), true);
  assertEquals(queue.remove(b), false);
  assertEquals(queue.size, 2);
  assertEquals(queue.live().map((i) => i.id), [0, 2]);
  assertEquals(queue.shift()?.id, 0);
  assertEquals(a.queued, false);
  assertEquals(queue.shift()?.id, 2);
  assertEquals(queue.shift(), undefined);
  assertEquals(queue.size, 0);
});

Deno.test("`CallQueue` keeps order across compactions with many removals", () => {
  const queue = new CallQueue<Item>();
  const all = items(10_000);
  for (const item of all) queue.push(item);
  // Remove every odd one, and take some from the head meanwhile.
  const taken: number[] = [];
  for (const item of all) {
    if (item.id % 2 === 1) queue.remove(item);
    if (item.id % 1000 === 999) taken.push(queue.shift()!.id);
  }
  assertEquals(taken, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assertEquals(queue.size, 5000 - 10);
  const rest: number[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    rest.push(item.id);
  }
  assertEquals(rest.length, 4990);
  assertEquals(rest[0], 20);
  assertEquals(rest.every((id, i) => id === 20 + 2 * i), true);
  assertEquals(queue.size, 0);
});
