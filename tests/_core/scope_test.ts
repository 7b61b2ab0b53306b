// Direct tests of the scope tree (lib/_core/_scope.ts): propagation,
// shields, level-triggered delivery, closing, and the cancelled count.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertStrictEquals,
} from "@std/assert";
import { CancelledError } from "@seed/aio";
import {
  cancelledScope,
  type CancelNode,
  Scope,
  storage,
} from "../../lib/_core/_scope.ts";

function node(log: string[], name: string): CancelNode {
  return {
    prevNode: undefined,
    nextNode: undefined,
    linkedTo: undefined,
    cancel: (error) => {
      assertInstanceOf(error, CancelledError);
      log.push(name);
    },
  };
}

Deno.test("`Scope.cancel()` reaches every descendant except through a shield", () => {
  const root = new Scope(undefined, undefined, "root");
  const child = new Scope(root, undefined, "child");
  const grandchild = new Scope(child, undefined, "grandchild");
  const shielded = new Scope(root, undefined, "shield", true);
  const underShield = new Scope(shielded, undefined, "under");
  assert(root.cancel("stop"));
  assert(child.cancelled && grandchild.cancelled);
  assertFalse(shielded.cancelled);
  assertFalse(underShield.cancelled);
  assertEquals(grandchild.reason, "stop");
  // Only the scope cancel() was called on says so.
  assert(root.cancelCalled);
  assertFalse(child.cancelCalled);
  // A second cancel is a no-op.
  assertFalse(root.cancel("again"));
  for (const s of [underShield, shielded, grandchild, child, root]) s.close();
});

Deno.test("`Scope` made under a cancelled parent starts cancelled", () => {
  const root = new Scope(undefined, undefined, "root");
  root.cancel("early");
  const late = new Scope(root, undefined, "late");
  assert(late.cancelled);
  assertStrictEquals(late.error, root.error);
  late.close();
  root.close();
});

Deno.test("`Scope.cancel()` runs each linked node once and unlinks it", () => {
  const log: string[] = [];
  const root = new Scope(undefined, undefined, "root");
  const child = new Scope(root, undefined, "child");
  const a = node(log, "a");
  const b = node(log, "b");
  const c = node(log, "c");
  root.link(a);
  child.link(b);
  child.link(c);
  child.unlink(c);
  root.cancel();
  assertEquals(log.sort(), ["a", "b"]);
  assertEquals(a.linkedTo, undefined);
  root.cancel();
  assertEquals(log.length, 2);
  child.close();
  root.close();
});

Deno.test("`Scope.deliver()` is level-triggered: a new CancelledError each time, caused by the first", () => {
  const root = new Scope(undefined, undefined, "root");
  root.cancel("why");
  const first = root.deliver();
  const second = root.deliver();
  assert(first !== second);
  assertEquals(first.reason, "why");
  assertStrictEquals(first.cause, root.error);
  root.close();
});

Deno.test("`Scope.signal` aborts with the scope's cancellation, made lazily or late", () => {
  const root = new Scope(undefined, undefined, "root");
  const signal = root.signal;
  assertFalse(signal.aborted);
  root.cancel("x");
  assert(signal.aborted);
  assertStrictEquals(signal.reason, root.error);
  const after = new Scope(root, undefined, "after");
  assert(after.signal.aborted);
  after.close();
  root.close();
});

Deno.test("`Scope.close()` detaches it: a later cancel of the parent does not reach it", () => {
  const root = new Scope(undefined, undefined, "root");
  const child = new Scope(root, undefined, "child");
  child.close();
  assertEquals(root.children(), []);
  root.cancel();
  assertFalse(child.cancelled);
  root.close();
});

Deno.test("`cancelledScope()` is free while nothing is cancelled and finds the ambient cancelled scope", () => {
  const root = new Scope(undefined, undefined, "root");
  storage.run(root, () => {
    assertEquals(cancelledScope(), undefined);
    root.cancel();
    assertStrictEquals(cancelledScope(), root);
  });
  root.close();
  assertEquals(cancelledScope(), undefined);
});

Deno.test("`Scope.cancel()` delivers iteratively: 100,000 nested scopes need no deep stack", () => {
  const root = new Scope(undefined, undefined, "root");
  const chain: Scope[] = [root];
  for (let i = 0; i < 100_000; i++) {
    chain.push(new Scope(chain[chain.length - 1], undefined, "s"));
  }
  root.cancel();
  assert(chain[chain.length - 1].cancelled);
  for (let i = chain.length - 1; i >= 0; i--) chain[i].close();
});
