// Property-based tests: random trees of tasks that sleep, fail, cancel and
// time out, checked against the structured-concurrency invariants.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import fc from "fast-check";
import {
  CancelledError,
  checkpoint,
  currentSignal,
  currentTask,
  gather,
  isCancelled,
  moveOnAfter,
  run,
  sleep,
  TaskGroup,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { flushMicrotasks } from "./_helpers.ts";

type Node =
  | { t: "sleep"; ms: number }
  | { t: "fail"; ms: number }
  | { t: "cancelSelf"; ms: number }
  | {
    t: "group";
    supervise: boolean;
    cancelAfter: number | undefined;
    children: Node[];
  }
  | {
    t: "usingGroup";
    supervise: boolean;
    cancelAfter: number | undefined;
    children: Node[];
  }
  | { t: "timeout"; ms: number; move: boolean; child: Node }
  | { t: "swallow"; child: Node };

const ms = fc.integer({ min: 0, max: 4 });

const { node: treeArbitrary } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: "tree", depthSize: "large" },
    {
      arbitrary: fc.oneof(
        fc.record({ t: fc.constant("sleep" as const), ms }),
        fc.record({ t: fc.constant("fail" as const), ms }),
        fc.record({ t: fc.constant("cancelSelf" as const), ms }),
      ),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("group" as const),
        supervise: fc.boolean(),
        cancelAfter: fc.option(ms, { nil: undefined, freq: 3 }),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("usingGroup" as const),
        supervise: fc.boolean(),
        cancelAfter: fc.option(ms, { nil: undefined, freq: 3 }),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("timeout" as const),
        ms,
        move: fc.boolean(),
        child: tie("node"),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("swallow" as const),
        child: tie("node"),
      }),
      weight: 1,
    },
  ),
}));

/** An error a `fail` node throws; each one is a distinct object. */
class Failure extends Error {
  constructor(readonly id: number) {
    super(`failure ${id}`);
    this.name = "Failure";
  }
}

interface Trace {
  nextId: number;
  seq: number;
  parent: Map<number, number>;
  exitSeq: Map<number, number>;
  entered: Set<number>;
  thrown: Failure[];
  violations: string[];
}

async function exec(node: Node, trace: Trace, parent: number): Promise<void> {
  const id = trace.nextId++;
  trace.parent.set(id, parent);
  trace.entered.add(id);
  try {
    switch (node.t) {
      case "sleep":
        await sleep(node.ms);
        break;
      case "fail": {
        await sleep(node.ms);
        const failure = new Failure(id);
        trace.thrown.push(failure);
        throw failure;
      }
      case "cancelSelf":
        await sleep(node.ms);
        currentTask()!.cancel("self");
        await checkpoint();
        trace.violations.push(`node ${id}: checkpoint after cancel returned`);
        break;
      case "group":
        await taskGroup({ supervise: node.supervise }, async (tg) => {
          for (const child of node.children) {
            tg.createTask(() => exec(child, trace, id));
          }
          if (node.cancelAfter !== undefined) {
            await sleep(node.cancelAfter);
            tg.cancel("cancelAfter");
          }
        });
        break;
      case "usingGroup": {
        // The `await using` form: the block is not the group's body, so its
        // children are made with tg.createTask.
        await using tg = new TaskGroup({ supervise: node.supervise });
        for (const child of node.children) {
          tg.createTask(() => exec(child, trace, id));
        }
        const cancelAfter = node.cancelAfter;
        if (cancelAfter !== undefined) {
          tg.createTask(async () => {
            await sleep(cancelAfter);
            tg.cancel("cancelAfter");
          });
        }
        break;
      }
      case "timeout":
        await (node.move ? moveOnAfter : timeout)(
          node.ms,
          () => exec(node.child, trace, id),
        );
        break;
      case "swallow":
        try {
          await exec(node.child, trace, id);
        } catch (error) {
          if (!isCancelled(error)) throw error;
          // Level-triggered: a caught cancellation means the scope is still
          // cancelled, and the next cancellation point throws again.
          if (!currentSignal().aborted) {
            trace.violations.push(
              `node ${id}: cancelled but signal not aborted`,
            );
          }
          try {
            await checkpoint();
            trace.violations.push(
              `node ${id}: checkpoint after catch returned`,
            );
          } catch (again) {
            if (!(again instanceof CancelledError)) throw again;
          }
        }
        break;
    }
  } finally {
    trace.exitSeq.set(id, trace.seq++);
  }
}

/** Every leaf of an error, looking inside aggregates (task group errors). */
function leaves(error: unknown, out: unknown[] = []): unknown[] {
  if (error instanceof AggregateError) {
    for (const inner of error.errors) leaves(inner, out);
  } else out.push(error);
  return out;
}

Deno.test("random task trees keep the structured-concurrency invariants", async () => {
  await fc.assert(
    fc.asyncProperty(treeArbitrary, async (tree) => {
      const trace: Trace = {
        nextId: 0,
        seq: 0,
        parent: new Map(),
        exitSeq: new Map(),
        entered: new Set(),
        thrown: [],
        violations: [],
      };
      const unobserved: unknown[] = [];
      let surfaced: unknown = undefined;
      let failed = false;
      let guard: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error("run() hung")), 10_000);
      });
      try {
        await Promise.race([
          run(() => exec(tree, trace, -1), {
            onUnobservedError: (error) => unobserved.push(error),
          }),
          hung,
        ]);
      } catch (error) {
        failed = true;
        surfaced = error;
      } finally {
        clearTimeout(guard);
      }
      assert(!(surfaced instanceof Error && surfaced.message === "run() hung"));

      assertEquals(trace.violations, []);
      // `finally` blocks always run: every node that started also exited.
      for (const id of trace.entered) {
        assert(trace.exitSeq.has(id), `node ${id} never ran its finally`);
      }
      // A scope never settles before its children.
      for (const [id, parent] of trace.parent) {
        if (parent < 0) continue;
        assert(
          trace.exitSeq.get(parent)! > trace.exitSeq.get(id)!,
          `node ${parent} settled before its child ${id}`,
        );
      }
      // Every failure appears exactly once in what surfaced; nothing else
      // but timeouts (and a lone cancellation of main) is in it.
      const found = failed ? leaves(surfaced) : [];
      for (const failure of trace.thrown) {
        assertEquals(
          found.filter((e) => e === failure).length,
          1,
          `${failure.message} surfaced ${
            found.filter((e) => e === failure).length
          } times in ${String(surfaced)}`,
        );
      }
      for (const error of found) {
        if (error instanceof Failure || error instanceof TimeoutError) continue;
        assert(
          error instanceof CancelledError && found.length === 1 &&
            trace.thrown.length === 0,
          `unexpected ${String(error)} in what surfaced`,
        );
      }
      assertEquals(unobserved, []);
      // Nothing leaks: no timer is left behind.
      assertEquals(pendingTimers(), 0);
    }),
    { numRuns: Number(Deno.env.get("AIO_PROPERTY_RUNS") ?? 150) },
  );
});

Deno.test("`gather` with returnExceptions keeps every outcome in its place", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ ms, fails: fc.boolean() }), { maxLength: 8 }),
      async (items) => {
        const errors = items.map((_, i) => new Error(`item ${i}`));
        const results = await gather(
          ...items.map((item, i) => async () => {
            await sleep(item.ms);
            if (item.fails) throw errors[i];
            return i;
          }),
          { returnExceptions: true },
        );
        assertEquals(results.length, items.length);
        items.forEach((item, i) => {
          assertStrictEquals(results[i], item.fails ? errors[i] : i);
        });
        assertEquals(pendingTimers(), 0);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("the timer heap fires sleeps in deadline order, whatever was cancelled", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          ms: fc.integer({ min: 0, max: 50 }),
          cancel: fc.boolean(),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      async (sleeps) => {
        using time = new FakeTime();
        const fired: number[] = [];
        const outcome = run(async () => {
          await taskGroup(async (tg) => {
            const tasks = sleeps.map((s, i) =>
              tg.createTask(async () => {
                await sleep(s.ms);
                fired.push(i);
              })
            );
            // Microtasks only: every task has started and scheduled its
            // sleep, and no timer can have fired yet.
            await flushMicrotasks();
            sleeps.forEach((s, i) => {
              if (s.cancel) tasks[i].cancel();
            });
          });
        });
        // One jump: the heap must fire everything due, in deadline order.
        await time.tickAsync(50);
        await time.runMicrotasks();
        await outcome;
        const expected = sleeps
          .map((s, i) => ({ ...s, i }))
          .filter((s) => !s.cancel)
          .sort((a, b) => a.ms - b.ms || a.i - b.i)
          .map((s) => s.i);
        assertEquals(fired, expected);
        assertEquals(pendingTimers(), 0);
      },
    ),
    { numRuns: 60 },
  );
});
