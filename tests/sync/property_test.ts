// Property-based tests: producers and consumers with random interleavings
// and random cancellations, including cancellations fired in the same turn
// as the wake-up they race (the window where lost wake-ups happen).

import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import {
  CancelledError,
  checkpoint,
  createTask,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  run,
  Semaphore,
  sleep,
  type Task,
  timeout,
} from "@seed/aio";

interface Step {
  /** Use putNowait/getNowait (falling back to the waiting call). */
  nowait: boolean;
  /** Checkpoints before the step. */
  yields: number;
  /** Cancel this task (index into all tasks) right after the step, in the same turn. */
  cancel: number | null;
}

const step: fc.Arbitrary<Step> = fc.record({
  nowait: fc.boolean(),
  yields: fc.nat(2),
  cancel: fc.option(fc.nat(7), { freq: 6 }),
});

const scenario = fc.record({
  kind: fc.constantFrom("Queue", "LifoQueue", "PriorityQueue"),
  maxsize: fc.nat(4),
  producers: fc.array(fc.array(step, { maxLength: 12 }), {
    minLength: 1,
    maxLength: 4,
  }),
  consumers: fc.array(fc.array(step, { minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 4,
  }),
  cancels: fc.array(
    fc.record({ after: fc.nat(3), target: fc.nat(7) }),
    { maxLength: 4 },
  ),
});

const queueKinds = { Queue, LifoQueue, PriorityQueue };

// Swallows the ways a participant may legitimately end.
function settled(task: Task<unknown>): Promise<void> {
  return Promise.resolve(task).then(() => {}, (error) => {
    if (
      !(error instanceof CancelledError) && !(error instanceof QueueShutDown)
    ) {
      throw error;
    }
  });
}

Deno.test("`Queue` under random producers, consumers and cancellations never loses or duplicates an item", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (plan) => {
      await run(async () => {
        const q = new queueKinds[plan.kind as keyof typeof queueKinds]<number>(
          plan.maxsize,
        );
        const produced = new Set<number>();
        const consumed: number[] = [];
        const tasks: Task<unknown>[] = [];
        const cancel = (
          target: number | null,
          among: Task<unknown>[] = tasks,
        ): void => {
          if (target !== null) among[target % among.length]?.cancel();
        };
        const checkBound = (): void => {
          if (plan.maxsize > 0) assert(q.qsize() <= plan.maxsize);
        };

        const producers = plan.producers.map((steps, p) =>
          createTask(async () => {
            for (let i = 0; i < steps.length; i++) {
              const { nowait, yields, cancel: target } = steps[i];
              const item = p * 1000 + i;
              for (let y = 0; y < yields; y++) await checkpoint();
              let put = false;
              if (nowait) {
                try {
                  q.putNowait(item);
                  put = true;
                } catch (error) {
                  if (!(error instanceof QueueFull)) throw error;
                }
              }
              if (!put) await q.put(item);
              // put() returned: the item is in the queue (or already taken).
              produced.add(item);
              checkBound();
              // Most likely the consumer this put just woke.
              cancel(target, consumers);
            }
          }, { name: `producer-${p}` })
        );
        const consumers = plan.consumers.map((steps, c) =>
          createTask(async () => {
            for (let i = 0;; i++) {
              const { nowait, yields, cancel: target } =
                steps[i % steps.length];
              for (let y = 0; y < yields; y++) await checkpoint();
              let item: number | undefined;
              if (nowait) {
                try {
                  item = q.getNowait();
                } catch (error) {
                  if (!(error instanceof QueueEmpty)) throw error;
                }
              }
              item ??= await q.get();
              consumed.push(item);
              checkBound();
              // Most likely the producer this get just let in.
              cancel(target, producers);
            }
          }, { name: `consumer-${c}` })
        );
        tasks.push(...producers, ...consumers);

        for (const { after, target } of plan.cancels) {
          for (let i = 0; i < after; i++) await sleep(0);
          cancel(target);
        }
        // Wait for the producers; if every consumer is gone, a producer
        // blocked on a full queue can only be ended by shutting it down.
        const allDone = (list: Task<unknown>[]) => list.every((t) => t.done());
        for (let turns = 0; !allDone(producers); turns++) {
          assert(turns < 10_000, "producers never finished");
          if (allDone(consumers)) q.shutdown();
          await sleep(0);
        }
        for (const producer of producers) await settled(producer);
        // Liveness: a consumer still running must drain what is left; one
        // parked on a non-empty queue is a lost wake-up.
        for (let turns = 0; !q.empty() && !allDone(consumers); turns++) {
          assert(
            turns < 300,
            "a consumer stayed asleep on a non-empty queue",
          );
          await sleep(0);
        }
        q.shutdown();
        await timeout(2_000, async () => {
          for (const consumer of consumers) await settled(consumer);
        });

        const remaining: number[] = [];
        for (;;) {
          try {
            remaining.push(q.getNowait());
          } catch (error) {
            assert(error instanceof QueueShutDown);
            break;
          }
        }
        const seen = [...consumed, ...remaining];
        assertEquals(new Set(seen).size, seen.length, "an item was duplicated");
        assertEquals(
          seen.toSorted((a, b) => a - b),
          [...produced].toSorted((a, b) => a - b),
          "an item was lost, or one that was never put appeared",
        );
      });
    }),
    { numRuns: 150 },
  );
});

const lockScenario = fc.record({
  permits: fc.integer({ min: 1, max: 3 }),
  useLock: fc.boolean(),
  workers: fc.array(
    fc.array(
      fc.record({
        inside: fc.nat(2),
        before: fc.nat(1),
        cancel: fc.option(fc.nat(7), { freq: 4 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    { minLength: 1, maxLength: 6 },
  ),
  cancels: fc.array(
    fc.record({ after: fc.nat(3), target: fc.nat(7) }),
    { maxLength: 3 },
  ),
});

Deno.test("`Lock` and `Semaphore` under random cancellations keep exclusion and never strand a waiter", async () => {
  await fc.assert(
    fc.asyncProperty(lockScenario, async (plan) => {
      await run(async () => {
        const permits = plan.useLock ? 1 : plan.permits;
        const lock = new Lock();
        const sem = new Semaphore(permits);
        const acquire = () => plan.useLock ? lock.acquire() : sem.acquire();
        const release = () => plan.useLock ? lock.release() : sem.release();
        let active = 0;
        let peak = 0;
        const tasks: Task<unknown>[] = [];
        const cancel = (target: number | null): void => {
          if (target !== null) tasks[target % tasks.length]?.cancel();
        };
        for (const steps of plan.workers) {
          tasks.push(createTask(async () => {
            for (const { inside, before, cancel: target } of steps) {
              for (let i = 0; i < before; i++) await checkpoint();
              await acquire();
              try {
                peak = Math.max(peak, ++active);
                for (let i = 0; i < inside; i++) await checkpoint();
              } finally {
                active--;
                release();
                // Fired in the same turn as the hand-over it races.
                cancel(target);
              }
            }
          }));
        }
        for (const { after, target } of plan.cancels) {
          for (let i = 0; i < after; i++) await sleep(0);
          cancel(target);
        }
        // A lost wake-up leaves a worker parked on a free lock: time out.
        await timeout(2_000, async () => {
          for (const task of tasks) {
            await Promise.resolve(task).catch((error) => {
              if (!(error instanceof CancelledError)) throw error;
            });
          }
        });
        assert(peak <= permits, `peak ${peak} > ${permits} permits`);
        if (plan.useLock) {
          assert(!lock.locked());
          assertEquals(lock.waiting, 0);
        } else {
          assertEquals(sem.value, permits);
          assertEquals(sem.waiting, 0);
        }
      });
    }),
    { numRuns: 80 },
  );
});

Deno.test("`PriorityQueue` matches a sorted-array model under random puts and gets", () => {
  const op = fc.oneof(
    fc.record({ put: fc.tuple(fc.integer({ min: -50, max: 50 }), fc.nat(9)) }),
    fc.constant({ get: true as const }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const q = new PriorityQueue<[number, number]>();
      const model: [number, number][] = [];
      for (const step of ops) {
        if ("put" in step) {
          q.putNowait(step.put);
          model.push(step.put);
          model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        } else if (model.length === 0) {
          assert(q.empty());
        } else {
          // Equal pairs are interchangeable, so compare values, not identity.
          assertEquals(q.getNowait(), model.shift());
        }
        assertEquals(q.qsize(), model.length);
      }
    }),
    { numRuns: 200 },
  );
});
