// `deno bench bench/trace_bench.ts`: what tracing and debug mode cost per
// task. Each iteration runs 10,000 tasks in a task group; every task awaits
// a Future (one wait at a cancellation point, so one await slice in the
// trace). The baseline has both off; divide the difference by 10,000 for
// the cost per task. With both off the hot path pays one `observer?.` check
// per task and one property read per wait.

import { type ChromeTrace, Future, run, taskGroup } from "../mod.ts";

const TASKS = 10_000;

function workload(): Promise<unknown> {
  return taskGroup((tg) => {
    for (let i = 0; i < TASKS; i++) {
      tg.createTask(async () => {
        const future = new Future<number>();
        queueMicrotask(() => future.setResult(i));
        return await future;
      });
    }
  });
}

let events = 0;
const sink = (trace: ChromeTrace): void => {
  events = trace.traceEvents.length;
};

Deno.bench({
  name: "10k tasks, debug and trace off",
  group: "per-task cost",
  baseline: true,
  fn: async () => {
    await run(workload, { debug: false });
  },
});

Deno.bench({
  name: "10k tasks, trace on (in memory)",
  group: "per-task cost",
  fn: async () => {
    await run(workload, { debug: false, trace: sink });
    if (events < TASKS * 4) throw new Error(`only ${events} events`);
  },
});

Deno.bench({
  name: "10k tasks, debug on",
  group: "per-task cost",
  fn: async () => {
    await run(workload, { debug: true });
  },
});

Deno.bench({
  name: "10k tasks, trace written to a file",
  group: "per-task cost",
  n: 10,
  fn: async () => {
    const path = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await run(workload, { debug: false, trace: path });
    } finally {
      await Deno.remove(path);
    }
  },
});
