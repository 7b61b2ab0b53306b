import {
  assert,
  assertEquals,
  assertGreater,
  assertStringIncludes,
} from "@std/assert";
import {
  type ChromeTrace,
  createTask,
  run,
  sleep,
  taskGroup,
  type TraceEvent,
} from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";
import { lanesOf, sayHelloTrace, traceToSvg } from "../scripts/trace_to_svg.ts";
import { deferred, denoFlags } from "./_helpers.ts";

/** Checks what every viewer needs: B/E balanced and nested per lane, time never going back. */
function assertWellFormed(trace: ChromeTrace): void {
  const stacks = new Map<number, TraceEvent[]>();
  const last = new Map<number, number>();
  const flows = new Map<number, string[]>();
  for (const event of trace.traceEvents) {
    assertEquals(event.pid, 1);
    if (event.ph === "M") continue;
    assert(event.ts >= (last.get(event.tid) ?? 0), "time went back");
    last.set(event.tid, event.ts);
    const stack = stacks.get(event.tid) ?? [];
    stacks.set(event.tid, stack);
    if (event.ph === "B") stack.push(event);
    else if (event.ph === "E") {
      const open = stack.pop();
      assert(open !== undefined, `unbalanced E on lane ${event.tid}`);
      assertEquals(open.cat, event.cat, "misnested slices");
    } else if (event.ph === "s" || event.ph === "f") {
      const list = flows.get(event.id!) ?? [];
      list.push(event.ph);
      flows.set(event.id!, list);
    }
  }
  for (const [tid, stack] of stacks) {
    assertEquals(stack.length, 0, `lane ${tid} left open`);
  }
  for (const phases of flows.values()) assertEquals(phases, ["s", "f"]);
}

function taskStart(trace: ChromeTrace, name: string): TraceEvent {
  return trace.traceEvents.find((e) =>
    e.cat === "task" && e.ph === "B" && e.name === name
  )!;
}

Deno.test("a trace is valid JSON with balanced spans and parent links", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/trace.json`;
  try {
    await run(async () => {
      await taskGroup({ name: "crew" }, (tg) => {
        tg.createTask(async () => {
          await taskGroup((inner) => {
            inner.createTask(() => sleep(3), { name: "grandchild" });
          });
        }, { name: "child" });
        tg.createTask(async () => {
          // Two waits at once: one await slice, still well nested.
          await Promise.all([sleep(2), sleep(4)]);
        }, { name: "both" });
      });
      const stray = createTask(() => sleep(1_000), { name: "stray" });
      await sleep(1);
      stray.cancel("enough");
    }, { trace: path });
    const trace: ChromeTrace = JSON.parse(await Deno.readTextFile(path));
    assertEquals(trace.displayTimeUnit, "ms");
    assertWellFormed(trace);
    const main = taskStart(trace, "main");
    const child = taskStart(trace, "child");
    const grandchild = taskStart(trace, "grandchild");
    assertEquals(main.args?.parent, 0);
    assertEquals(child.args?.parent, main.tid);
    assertEquals(child.args?.scope, "crew");
    assertEquals(grandchild.args?.parent, child.tid);
    assertEquals(grandchild.args?.scope, "TaskGroup");
    assertEquals(taskStart(trace, "stray").args?.parent, 0);
    // Lanes are named after their tasks.
    const names = trace.traceEvents.filter((e) => e.name === "thread_name")
      .map((e) => e.args?.name);
    assertEquals(names, ["main", "child", "both", "grandchild", "stray"]);
    // The cancel and the outcome are recorded.
    const cancel = trace.traceEvents.find((e) => e.name === "cancel")!;
    assertEquals(cancel.tid, taskStart(trace, "stray").tid);
    assertEquals(cancel.args?.reason, "enough");
    const strayEnd = trace.traceEvents.find((e) =>
      e.cat === "task" && e.ph === "E" && e.name === "stray"
    )!;
    assertEquals(strayEnd.args?.outcome, "cancelled");
    // Spawns link parent and child lanes.
    const spawn = trace.traceEvents.find((e) =>
      e.ph === "f" && e.tid === grandchild.tid
    )!;
    const from = trace.traceEvents.find((e) =>
      e.ph === "s" && e.id === spawn.id
    )!;
    assertEquals(from.tid, child.tid);
    // Lanes sort in tree order: every child right after its parent.
    const order = trace.traceEvents.filter((e) =>
      e.name === "thread_sort_index"
    ).sort((a, b) => Number(a.args?.sort_index) - Number(b.args?.sort_index))
      .map((e) => e.tid);
    assertEquals(order, [
      main.tid,
      child.tid,
      grandchild.tid,
      taskStart(trace, "both").tid,
      taskStart(trace, "stray").tid,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a trace shows say_hello and say_world overlapping", async () => {
  const trace = await sayHelloTrace(() => {});
  assertWellFormed(trace);
  const lanes = lanesOf(trace);
  assertEquals(lanes.map((lane) => [lane.name, lane.depth]), [
    ["main", 0],
    ["say_hello", 1],
    ["say_world", 1],
  ]);
  const [main, hello, world] = lanes;
  // Virtual time makes the picture exact (microseconds).
  assertEquals([hello.spawn, hello.end], [0, 1_000_000]);
  assertEquals([world.spawn, world.end], [0, 2_000_000]);
  assertEquals(main.end, 2_000_000);
  assertGreater(hello.end, world.start!); // they overlap
  assertEquals(hello.waits, [{ start: 0, end: 1_000_000 }]);
  // main spends the time waiting for its group.
  assertEquals(main.waits, [{ start: 0, end: 2_000_000 }]);
});

Deno.test("a trace taken under virtual time records await spans with what was awaited", async () => {
  let trace: ChromeTrace | undefined;
  await withVirtualTime(() =>
    run(async () => {
      const worker = createTask(() => sleep(500), { name: "worker" });
      await worker;
    }, { trace: (t) => trace = t })
  );
  assertWellFormed(trace!);
  const awaits = trace!.traceEvents.filter((e) =>
    e.cat === "await" && e.ph === "B"
  );
  // `await` calls a Task's `then` one job later, after the worker began.
  assertEquals(awaits.map((e) => e.args?.what), [
    "sleep (500 ms left)",
    'Task "worker"',
  ]);
  assertEquals(awaits.map((e) => e.ts), [0, 0]);
  const ends = trace!.traceEvents.filter((e) =>
    e.cat === "await" && e.ph === "E"
  );
  assertEquals(ends.map((e) => e.ts), [500_000, 500_000]);
});

Deno.test("`traceToSvg` draws one lane per task with its name", async () => {
  const svg = traceToSvg(await sayHelloTrace(() => {}), {
    title: "hello <world>",
  });
  assert(svg.startsWith("<svg "));
  assert(svg.trimEnd().endsWith("</svg>"));
  assertStringIncludes(svg, ">say_hello</text>");
  assertStringIncludes(svg, ">say_world</text>");
  assertStringIncludes(svg, "hello &lt;world&gt;");
  assertEquals(svg.match(/<circle /g)?.length, 3 + 3); // 3 lanes + legend
});

Deno.test("a trace survives a failing task and a main that throws", async () => {
  let trace: ChromeTrace | undefined;
  const failure = deferred<unknown>();
  await run(async () => {
    await taskGroup((tg) => {
      tg.createTask(() => {
        throw new Error("boom");
      }, { name: "failing" });
    });
  }, { trace: (t) => trace = t }).catch(failure.resolve);
  assert(await failure.promise instanceof Error);
  assertWellFormed(trace!);
  const end = trace!.traceEvents.find((e) =>
    e.ph === "E" && e.name === "failing"
  )!;
  assertEquals(end.args?.outcome, "rejected");
  assertEquals(end.args?.error, "Error: boom");
});

Deno.test("AIO_TRACE=path records a script's run to that file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/traced.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { createTask, run, sleep } from ${JSON.stringify(mod)};
await run(async () => {
  await createTask(() => sleep(1), { name: "napper" });
});
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-env=AIO_TRACE,AIO_DEBUG",
        `--allow-write=${dir}`,
        ...denoFlags(),
        script,
      ],
      env: { AIO_TRACE: `${dir}/out.json` },
    }).output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    const trace: ChromeTrace = JSON.parse(
      await Deno.readTextFile(`${dir}/out.json`),
    );
    assertWellFormed(trace);
    assertEquals(
      lanesOf(trace).map((lane) => [lane.name, lane.outcome]),
      [["main", "fulfilled"], ["napper", "fulfilled"]],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
