import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import {
  createTask,
  type DebugWarning,
  run,
  sleep,
  type Task,
  taskGroup,
} from "@seed/aio";
import { waitHook } from "../lib/_core/_scope.ts";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { denoFlags } from "./_helpers.ts";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Hold the event loop.
  }
}

Deno.test("debug mode reports a blocked loop with the task that blocked it", async () => {
  const warnings: DebugWarning[] = [];
  await run(async () => {
    await taskGroup((tg) => {
      tg.createTask(async () => {
        for (let i = 0; i < 10; i++) await sleep(5);
      }, { name: "ticker" });
      tg.createTask(async () => {
        await sleep(10);
        busy(150);
        await sleep(1);
      }, { name: "blocker" });
      tg.createTask(async () => {
        await sleep(20);
        busy(120); // then returns: the settle names it
      }, { name: "finisher" });
    });
  }, {
    debug: { blockedThresholdMs: 60, onWarning: (w) => warnings.push(w) },
  });
  const blocked = warnings.filter((w) => w.kind === "blocked");
  assertEquals(blocked.map((w) => w.task?.name), ["blocker", "finisher"]);
  assert(blocked[0].durationMs! >= 150, `${blocked[0].durationMs}`);
  assert(blocked[1].durationMs! >= 120, `${blocked[1].durationMs}`);
  assertMatch(
    blocked[0].message,
    /^aio: the event loop was blocked for \d+ ms by Task "blocker" \(created at .*debug_test\.ts:\d+:\d+\)$/,
  );
});

Deno.test("debug mode does not report an idle loop as blocked", async () => {
  const warnings: DebugWarning[] = [];
  await run(async () => {
    // Idle for well over the threshold: the heartbeat keeps gaps short.
    await sleep(150);
    createTask(() => sleep(100), { name: "idle" });
    await sleep(120);
  }, {
    debug: { blockedThresholdMs: 80, onWarning: (w) => warnings.push(w) },
  });
  assertEquals(warnings, []);
});

Deno.test("debug mode warns about a task that returns without awaiting what it started", async () => {
  const warnings: DebugWarning[] = [];
  await run(async () => {
    createTask(() => {
      sleep(20); // the missing await
    }, { name: "forgetful" });
    createTask(async () => {
      await sleep(5);
    }, { name: "careful" });
    await sleep(30); // lets the stray sleep fire before run ends
  }, { debug: { onWarning: (w) => warnings.push(w) } });
  assertEquals(warnings.length, 1);
  const [warning] = warnings;
  assertEquals(warning.kind, "unawaited");
  assertEquals(warning.task?.name, "forgetful");
  assertStringIncludes(warning.message, "sleep (");
  assertStringIncludes(warning.message, "missing await?");
  assertMatch(
    warning.message,
    /at .*debug_test\.ts:\d+:\d+ \(missing await\?\)$/,
  );
});

Deno.test("debug mode keeps creation stacks; without it none are taken", async () => {
  let withDebug: Task<unknown> | undefined;
  let without: Task<unknown> | undefined;
  await run(async () => {
    withDebug = createTask(() => 1);
    await withDebug;
  }, { debug: true });
  await run(async () => {
    without = createTask(() => 1);
    await without;
  }, { debug: false }); // false wins over AIO_DEBUG
  assertMatch(
    withDebug!.creationStack!.split("\n")[0],
    /debug_test\.ts:\d+:\d+/,
  );
  assert(!withDebug!.creationStack!.includes("/lib/task.ts"));
  assertEquals(without!.creationStack, undefined);
});

Deno.test("debug mode prints a failure nobody observed with its creation stack", async () => {
  const original = console.error;
  const printed: string[] = [];
  console.error = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
  };
  try {
    await run(async () => {
      createTask(() => {
        throw new Error("lost");
      }, { name: "doomed" });
      await sleep(1);
    }, { debug: true });
  } finally {
    console.error = original;
  }
  assertEquals(printed.length, 1);
  assertStringIncludes(
    printed[0],
    'Task "doomed" exception was never retrieved',
  );
  assertStringIncludes(printed[0], "Error: lost");
  assertMatch(
    printed[0],
    /Task "doomed" was created at:\n {2}.*debug_test\.ts:\d+/,
  );
});

Deno.test("debug mode leaves nothing behind: hook off, heartbeat cleared", async () => {
  const timers = pendingTimers();
  await run(() => sleep(1), { debug: true, trace: () => {} });
  assertEquals(waitHook.current, undefined);
  assertEquals(pendingTimers(), timers);
  // The op sanitizer checks that the heartbeat interval is gone.
});

Deno.test("`run` rejects bad debug and trace options and starts nothing", async () => {
  let ran = false;
  const main = () => {
    ran = true;
  };
  await assertRejects(() => run(main, { debug: "yes" as never }), TypeError);
  await assertRejects(
    () => run(main, { debug: { blockedThresholdMs: 0 } }),
    RangeError,
  );
  await assertRejects(
    () => run(main, { debug: { blockedThresholdMs: "1" as never } }),
    TypeError,
  );
  await assertRejects(
    () => run(main, { debug: { onWarning: 3 as never } }),
    TypeError,
  );
  await assertRejects(() => run(main, { trace: 5 as never }), TypeError);
  assertEquals(ran, false);
  assertEquals(waitHook.current, undefined);
});

Deno.test("AIO_DEBUG=1 turns debug mode on for a script", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/blocky.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { createTask, run, sleep } from ${JSON.stringify(mod)};
await run(async () => {
  await createTask(async () => {
    await sleep(1);
    const end = performance.now() + 250;
    while (performance.now() < end);
  }, { name: "hog" });
});
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...denoFlags(), script],
      env: { AIO_DEBUG: "1" },
    }).output();
    assertEquals(output.code, 0);
    const stderr = new TextDecoder().decode(output.stderr);
    assertMatch(stderr, /event loop was blocked for \d+ ms by Task "hog"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("debug mode blames the task that blocked, not the one awaiting it, and calls a forgotten sleep a sleep", async () => {
  const warnings: DebugWarning[] = [];
  await run(async () => {
    // deno-lint-ignore require-await
    const forgetful = createTask(async () => {
      sleep(50); // the missing await
    }, { name: "forgetful" });
    const blocker = createTask(() => busy(150), { name: "blocker" });
    // main's wait on a Task begins a turn late (JavaScript calls then() on
    // a thenable from a job), after both tasks ran: main must not be blamed.
    await forgetful;
    await blocker;
    await sleep(60);
  }, {
    debug: { blockedThresholdMs: 60, onWarning: (w) => warnings.push(w) },
  });
  const blocked = warnings.filter((w) => w.kind === "blocked");
  assertEquals(blocked.map((w) => w.task?.name), ["blocker"]);
  const unawaited = warnings.filter((w) => w.kind === "unawaited");
  assertEquals(unawaited.length, 1);
  assertMatch(
    unawaited[0].message,
    /Task "forgetful".*: sleep \(\d+ ms left\)/,
  );
});
