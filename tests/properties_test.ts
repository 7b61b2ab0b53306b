// Property-based tests: random trees of tasks that sleep, fail, cancel and
// time out, checked against the structured-concurrency invariants.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { FakeTime } from "@std/testing/time";
import fc from "fast-check";
import {
  asCompleted,
  CancelledError,
  checkpoint,
  createTask,
  currentSignal,
  currentTask,
  gather,
  getRunningLoop,
  isCancelled,
  moveOnAfter,
  run,
  shield,
  sleep,
  type Task,
  TaskGroup,
  taskGroup,
  timeout,
  TimeoutError,
  wait,
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
  | { t: "swallow"; child: Node }
  | { t: "failCleanup"; ms: number }
  | { t: "shield"; wait: boolean; child: Node }
  | { t: "gather"; returnExceptions: boolean; children: Node[] }
  | { t: "cancelTask"; ms: number; child: Node }
  | {
    t: "wait";
    returnWhen: "FIRST_COMPLETED" | "FIRST_EXCEPTION" | "ALL_COMPLETED";
    timeout: number | undefined;
    rejected: boolean;
    children: Node[];
  }
  | { t: "asCompleted"; take: number; rejected: boolean; children: Node[] };

const ms = fc.integer({ min: 0, max: 4 });

const { node: treeArbitrary } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: "tree", depthSize: "large" },
    {
      arbitrary: fc.oneof(
        fc.record({ t: fc.constant("sleep" as const), ms }),
        fc.record({ t: fc.constant("fail" as const), ms }),
        fc.record({ t: fc.constant("cancelSelf" as const), ms }),
        fc.record({ t: fc.constant("failCleanup" as const), ms }),
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
    {
      arbitrary: fc.record({
        t: fc.constant("shield" as const),
        wait: fc.boolean(),
        child: tie("node"),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("gather" as const),
        returnExceptions: fc.boolean(),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("wait" as const),
        returnWhen: fc.constantFrom(
          "FIRST_COMPLETED" as const,
          "FIRST_EXCEPTION" as const,
          "ALL_COMPLETED" as const,
        ),
        timeout: fc.option(ms, { nil: undefined }),
        rejected: fc.boolean(),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 3 }),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("asCompleted" as const),
        take: fc.integer({ min: 0, max: 3 }),
        rejected: fc.boolean(),
        children: fc.array(tie("node"), { minLength: 1, maxLength: 3 }),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        t: fc.constant("cancelTask" as const),
        ms,
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
  /** Failures a gather with returnExceptions handed back in its results. */
  returned: unknown[];
  /** Every task that ran a node. */
  tasks: Set<Task<unknown>>;
  violations: string[];
}

async function exec(
  node: Node,
  trace: Trace,
  parent: number,
  // Inside shield(fn, { wait: true }) in this task: its own cancellation
  // does not reach here (Trio's shielded scope).
  shielded = false,
): Promise<void> {
  const id = trace.nextId++;
  trace.parent.set(id, parent);
  trace.entered.add(id);
  trace.tasks.add(currentTask()!);
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
        if (!shielded) {
          trace.violations.push(`node ${id}: checkpoint after cancel returned`);
        }
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
          () => exec(node.child, trace, id, shielded),
        );
        break;
      case "failCleanup":
        try {
          await sleep(node.ms);
        } finally {
          const failure = new Failure(id);
          trace.thrown.push(failure);
          // deno-lint-ignore no-unsafe-finally
          throw failure;
        }
      case "shield":
        if (node.wait) {
          await shield(() => exec(node.child, trace, id, true), {
            wait: true,
          });
        } else {
          // The caller may stop waiting: its child is ordered by whoever
          // owns the shielded work, not by this node.
          await shield(() => exec(node.child, trace, DETACHED));
        }
        break;
      case "gather": {
        const results = await gather(
          ...node.children.map((child) => () => exec(child, trace, id)),
          { returnExceptions: node.returnExceptions },
        );
        for (const result of results) {
          if (result !== undefined) trace.returned.push(result);
        }
        break;
      }
      case "cancelTask":
        // A task cancelled from outside at a random time. (It is not also
        // awaited: a group's child whose error a sibling rethrows is
        // counted twice by TaskGroupError; see the lead's notes.)
        await taskGroup(async (tg) => {
          const task = tg.createTask(() => exec(node.child, trace, id));
          await sleep(node.ms);
          task.cancel("cancelTask");
        });
        break;
      case "wait":
      case "asCompleted": {
        // Items are tasks of the enclosing owner (and maybe a rejected
        // promise): wait and asCompleted read no outcome, so each error is
        // the owner's to throw or the run's to report, once. The node
        // cancels its tasks when it leaves, and does not wait for them.
        const tasks = node.children.map((child) =>
          createTask(() => exec(child, trace, DETACHED))
        );
        const items: (Task<void> | Promise<void>)[] = [...tasks];
        if (node.rejected) {
          const failure = new Failure(id);
          trace.thrown.push(failure);
          items.push(Promise.reject(failure));
        }
        try {
          if (node.t === "wait") {
            await wait(items, {
              returnWhen: node.returnWhen,
              timeout: node.timeout,
            });
          } else {
            let taken = 0;
            for await (const _ of asCompleted(items)) {
              if (++taken >= node.take) break;
            }
          }
        } finally {
          for (const task of tasks) task.cancel("left behind");
        }
        break;
      }
      case "swallow":
        try {
          await exec(node.child, trace, id, shielded);
        } catch (error) {
          if (!isCancelled(error)) throw error;
          // A CancelledError from a task that was cancelled on its own
          // (through gather or shield) is not this scope's: it is handled.
          if (!shielded && currentSignal().aborted) {
            // Level-triggered: a caught cancellation of this scope means it
            // is still cancelled, and the next cancellation point throws.
            try {
              await checkpoint();
              trace.violations.push(
                `node ${id}: checkpoint after catch returned`,
              );
            } catch (again) {
              if (!(again instanceof CancelledError)) throw again;
            }
          }
        }
        break;
    }
  } finally {
    trace.exitSeq.set(id, trace.seq++);
  }
}

/** The parent id of a node whose caller may not wait for it. */
const DETACHED = -2;

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
        returned: [],
        tasks: new Set(),
        violations: [],
      };
      const unobserved: unknown[] = [];
      const reported: unknown[] = [];
      let surfaced: unknown = undefined;
      let failed = false;
      let guard: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error("run() hung")), 10_000);
      });
      try {
        await Promise.race([
          run(() => {
            getRunningLoop().setExceptionHandler((error) => {
              reported.push(error);
            });
            return exec(tree, trace, -1);
          }, {
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
      const what = `${JSON.stringify(tree)}\nsurfaced: ${
        String(surfaced)
      }\nreported: ${reported.map(String)}\nunobserved: ${
        unobserved.map(String)
      }\nreturned: ${trace.returned.map(String)}`;
      assert(
        !(surfaced instanceof Error && surfaced.message === "run() hung"),
        what,
      );

      assertEquals(trace.violations, [], what);
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
      // No task is left pending after run().
      for (const task of trace.tasks) {
        assert(
          task.done(),
          `${task.describe()} still pending after run()\n${what}`,
        );
      }
      // Every failure is accounted for exactly once: thrown out of run(),
      // handed back by a gather with returnExceptions, reported to the
      // loop's exception handler, or reported as unobserved.
      const found = failed ? leaves(surfaced) : [];
      const everywhere = [
        ...found,
        ...trace.returned.flatMap((e) => leaves(e)),
        ...reported.flatMap((e) => leaves(e)),
        ...unobserved.flatMap((e) => leaves(e)),
      ];
      for (const failure of trace.thrown) {
        const count = everywhere.filter((e) => e === failure).length;
        assertEquals(
          count,
          1,
          `${failure.message} accounted for ${count} times\n${what}`,
        );
      }
      // Nothing else but timeouts (and a lone cancellation) surfaces, and
      // nothing but failures is reported.
      for (const error of found) {
        if (error instanceof Failure || error instanceof TimeoutError) continue;
        assert(
          error instanceof CancelledError && found.length === 1,
          `unexpected ${String(error)} in what surfaced\n${what}`,
        );
      }
      for (
        const error of [...reported, ...unobserved].flatMap((e) => leaves(e))
      ) {
        // A TimeoutError is a real error too: a body that returned after
        // its deadline, reported as a secondary error of a gather.
        assert(
          error instanceof Failure || error instanceof TimeoutError,
          `unexpected report ${String(error)}\n${what}`,
        );
      }
      for (const error of trace.returned) {
        assert(
          error instanceof Failure || isCancelled(error) ||
            error instanceof TimeoutError || error instanceof AggregateError,
          `unexpected result ${String(error)}\n${what}`,
        );
      }
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
