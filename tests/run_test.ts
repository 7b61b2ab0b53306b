import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertMatch,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import {
  CancelledError,
  createTask,
  getRunningLoop,
  InvalidStateError,
  run,
  runMain,
  sleep,
  type Task,
  TaskGroup,
  taskGroup,
} from "@seed/aio";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { caught, deferred, denoFlags } from "./_helpers.ts";

/** Replaces console.error for the duration of `fn`, collecting its calls. */
async function capturingStderr<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; lines: unknown[][] }> {
  const original = console.error;
  const lines: unknown[][] = [];
  console.error = (...args: unknown[]) => {
    lines.push(args);
  };
  try {
    return { value: await fn(), lines };
  } finally {
    console.error = original;
  }
}

Deno.test("`run` returns main's value and hands main its signal", async () => {
  const value = await run((signal) => {
    assert(signal instanceof AbortSignal);
    assertFalse(signal.aborted);
    return "main value";
  });
  assertEquals(value, "main value");
  assertEquals(await run(async () => await sleep(1, 5)), 5);
});

Deno.test("`run` rethrows main's error", async () => {
  const boom = new Error("boom");
  assertStrictEquals(
    await caught(() =>
      run(() => {
        throw boom;
      })
    ),
    boom,
  );
});

Deno.test("`run` cancels leftover tasks and awaits them before returning", async () => {
  const events: string[] = [];
  let leftover: Task<unknown> | undefined;
  await run(async () => {
    const started = deferred();
    leftover = createTask(async () => {
      try {
        started.resolve();
        await sleep(60_000);
      } finally {
        // Cleanup that takes time must still finish before run returns.
        await new Promise((r) => setTimeout(r, 5));
        events.push("leftover cleaned up");
      }
    });
    await started.promise;
    events.push("main returns");
  });
  events.push("run returned");
  assertEquals(events, [
    "main returns",
    "leftover cleaned up",
    "run returned",
  ]);
  assert(leftover!.cancelled());
  assertEquals(pendingTimers(), 0);
});

Deno.test("`run` reports a failure nobody observed through onUnobservedError", async () => {
  const reported: [unknown, string][] = [];
  const boom = new Error("unobserved");
  await run(async () => {
    const task = createTask(() => {
      throw boom;
    }, { name: "lonely" });
    // Let it fail, but never await it.
    await sleep(1);
    assert(task.done());
  }, { onUnobservedError: (error, task) => reported.push([error, task.name]) });
  assertEquals(reported, [[boom, "lonely"]]);
});

Deno.test("`run` does not report failures that were awaited or collected by a group", async () => {
  const reported: unknown[] = [];
  await run(async () => {
    const awaited = createTask(() => {
      throw new Error("awaited");
    });
    await caught(() => awaited);
    const read = createTask(() => {
      throw new Error("read through exception()");
    });
    await sleep(1);
    read.exception();
    await caught(() =>
      taskGroup((tg) => {
        tg.createTask(() => {
          throw new Error("collected");
        });
      })
    );
  }, { onUnobservedError: (error) => reported.push(error) });
  assertEquals(reported, []);
});

Deno.test("`run` reports a leftover task that fails while being cancelled", async () => {
  const reported: unknown[] = [];
  const boom = new Error("cleanup failed");
  await run(async () => {
    const started = deferred();
    createTask(async () => {
      try {
        started.resolve();
        await sleep(60_000);
      } catch {
        throw boom;
      }
    });
    await started.promise;
  }, { onUnobservedError: (error) => reported.push(error) });
  assertEquals(reported, [boom]);
});

Deno.test("`run` prints unobserved failures to stderr by default, never dropping them", async () => {
  const { lines } = await capturingStderr(() =>
    run(async () => {
      createTask(() => {
        throw new Error("nobody listens");
      }, { name: "orphan" });
      await sleep(1);
    })
  );
  assertEquals(lines.length, 1);
  assertStringIncludes(String(lines[0][0]), "orphan");
  assertStringIncludes(String(lines[0][0]), "never retrieved");
  assertEquals((lines[0][1] as Error).message, "nobody listens");
});

Deno.test("`run` inside a running run throws InvalidStateError", async () => {
  await run(async () => {
    const error = await caught(() => run(() => 1));
    assertInstanceOf(error, InvalidStateError);
    // From a child task, too.
    const task = createTask(() => caught(() => run(() => 1)));
    assertInstanceOf(await task, InvalidStateError);
  });
  // Once the first run is over, a new one is fine.
  assertEquals(await run(() => "again"), "again");
});

Deno.test("`run` with an aborted signal cancels main with the signal's reason", async () => {
  const controller = new AbortController();
  const started = deferred();
  let cleanedUp = false;
  const pending = run(async () => {
    try {
      started.resolve();
      await sleep(60_000);
    } finally {
      cleanedUp = true;
    }
  }, { signal: controller.signal });
  await started.promise;
  controller.abort("user quit");
  const error = await caught(() => pending);
  assertInstanceOf(error, CancelledError);
  assertEquals(error.reason, "user quit");
  assert(cleanedUp);
  assertEquals(pendingTimers(), 0);
});

Deno.test("`run` with an already aborted signal never runs main's body", async () => {
  let ran = false;
  const error = await caught(() =>
    run(() => {
      ran = true;
    }, { signal: AbortSignal.abort("too late") })
  );
  assertInstanceOf(error, CancelledError);
  assertFalse(ran);
});

Deno.test("`run` whose main caught its cancellation and returned completes with the value", async () => {
  const controller = new AbortController();
  const started = deferred();
  const pending = run(async () => {
    try {
      started.resolve();
      await sleep(60_000);
    } catch {
      return "graceful";
    }
  }, { signal: controller.signal });
  await started.promise;
  controller.abort();
  assertEquals(await pending, "graceful");
});

Deno.test("`run` rejects bad input with TypeError", async () => {
  for (const bad of [undefined, null, 5, "main", Promise.resolve()]) {
    assertInstanceOf(
      await caught(() => run(bad as unknown as () => void)),
      TypeError,
    );
  }
  for (const bad of [null, 5, "options"]) {
    assertInstanceOf(
      await caught(() => run(() => 1, bad as unknown as object)),
      TypeError,
    );
  }
  assertEquals(pendingTimers(), 0);
});

// CORE BUG: run() does not validate its options' fields: a non-function
// onUnobservedError throws only at the end (after main ran, hiding main's
// result), and a non-AbortSignal `signal` fails on addEventListener after
// main was already spawned.
Deno.test({
  name: "`run` rejects bad option fields with TypeError before running main",
  ignore: false,
}, async () => {
  let ran = false;
  const main = () => {
    ran = true;
  };
  assertInstanceOf(
    await caught(() =>
      run(main, { onUnobservedError: 5 as unknown as () => void })
    ),
    TypeError,
  );
  assertInstanceOf(
    await caught(() => run(main, { signal: "x" as unknown as AbortSignal })),
    TypeError,
  );
  assertFalse(ran);
});

Deno.test("`runMain` returns and sets exit code 0 on success, 1 on error", async () => {
  const before = Deno.exitCode;
  try {
    assertEquals(await runMain(() => sleep(1), { signals: [] }), 0);
    assertEquals(Deno.exitCode, 0);
    const { value, lines } = await capturingStderr(() =>
      runMain(() => {
        throw new Error("main failed");
      }, { signals: [] })
    );
    assertEquals(value, 1);
    assertEquals(Deno.exitCode, 1);
    // The error is printed, not swallowed.
    assertEquals((lines[0][0] as Error).message, "main failed");
  } finally {
    Deno.exitCode = before;
  }
});

Deno.test("`run` removes its listener from the signal it was given", async () => {
  const controller = new AbortController();
  const signal = controller.signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  }) as typeof remove;
  await run(() => sleep(1), { signal });
  assertEquals(listeners, 0);
  await caught(() =>
    run(() => {
      throw new Error("x");
    }, { signal })
  );
  assertEquals(listeners, 0);
});

Deno.test("`runMain` with the default signals releases its signal listeners", async () => {
  // The op sanitizer fails this test if a signal listener is left behind.
  const before = Deno.exitCode;
  try {
    assertEquals(await runMain(() => sleep(1)), 0);
  } finally {
    Deno.exitCode = before;
  }
});

Deno.test("`runMain` rejects a non-function with TypeError", async () => {
  assertInstanceOf(
    await caught(() => runMain(5 as unknown as () => void)),
    TypeError,
  );
});

const fixture = new URL("./fixtures/run_main_signal.ts", import.meta.url)
  .pathname;

/** Runs the fixture; lets the test wait for output and send signals. */
function spawnFixture(mode: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags(), fixture, mode],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let output = "";
  let ended = false;
  const readMore = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) ended = true;
    else output += value;
  };
  return {
    child,
    async waitForLine(text: string): Promise<void> {
      while (!output.includes(text)) {
        if (ended) {
          throw new Error(
            `fixture ended without printing ${
              JSON.stringify(text)
            }:\n${output}\n${await stderr}`,
          );
        }
        await readMore();
      }
    },
    async finish(): Promise<{ code: number; stdout: string; stderr: string }> {
      while (!ended) await readMore();
      const { code } = await child.status;
      return { code, stdout: output, stderr: await stderr };
    },
  };
}

Deno.test(
  "`runMain` in a script: SIGINT cancels main, finally blocks run, exit code 130",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const proc = spawnFixture("wait");
    await proc.waitForLine("ready");
    proc.child.kill("SIGINT");
    const { code, stdout } = await proc.finish();
    assertEquals(code, 130);
    assertStringIncludes(stdout, "finally ran");
    assertStringIncludes(stdout, "exit code 130");
  },
);

Deno.test(
  "`runMain` in a script keeps waiting on sleep(Infinity) until SIGINT",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const proc = spawnFixture("forever");
    await proc.waitForLine("ready");
    proc.child.kill("SIGINT");
    const { code, stdout } = await proc.finish();
    assertEquals(code, 130);
    assertStringIncludes(stdout, "finally ran");
  },
);

Deno.test("`runMain` in a script: SIGTERM gives exit code 143", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const proc = spawnFixture("wait");
  await proc.waitForLine("ready");
  proc.child.kill("SIGTERM");
  const { code, stdout } = await proc.finish();
  assertEquals(code, 143);
  assertStringIncludes(stdout, "finally ran");
});

Deno.test("`runMain` in a script: a second SIGINT exits at once", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const proc = spawnFixture("stubborn");
  await proc.waitForLine("ready");
  proc.child.kill("SIGINT");
  // The cleanup waits 60 s on shielded work: only the second signal ends it.
  await proc.waitForLine("cleanup started");
  proc.child.kill("SIGINT");
  const { code, stdout } = await proc.finish();
  assertEquals(code, 130);
  assertFalse(stdout.includes("exit code"));
});

Deno.test("`runMain` in a script: exit code 0 on success and 1 on failure", async () => {
  const ok = await spawnFixture("ok").finish();
  assertEquals(ok.code, 0);
  assertStringIncludes(ok.stdout, "exit code 0");
  const failed = await spawnFixture("fail").finish();
  assertEquals(failed.code, 1);
  assertStringIncludes(failed.stderr, "main failed on purpose");
});

Deno.test("`run()` reports a TaskGroup made with `new` and never closed, and its children do not outlive it", async () => {
  const reports: string[] = [];
  const boom = new Error("child failed");
  let childEnded = false;
  await run(async () => {
    getRunningLoop().setExceptionHandler((error, context) => {
      reports.push(`${context.message}: ${(error as Error).message}`);
    });
    // supervise: the failing child does not cancel its sibling, so only the
    // end of run() can.
    const tg = new TaskGroup({ name: "forgotten", supervise: true });
    tg.createTask(async () => {
      try {
        await sleep(10_000);
      } finally {
        childEnded = true;
      }
    });
    tg.createTask(async () => {
      await sleep(1);
      throw boom;
    });
    await sleep(5);
    // No `await using`: main returns with the group open.
  });
  assert(
    childEnded,
    "the child was cancelled and awaited before run() returned",
  );
  assertEquals(reports.length, 2);
  assertMatch(reports[0], /never closed/);
  assertMatch(reports[1], /child failed/);
});

Deno.test("`run()`: a throwing onUnobservedError is reported and the other errors are still offered", async () => {
  const offered: unknown[] = [];
  const reports: unknown[] = [];
  const result = await run(async () => {
    getRunningLoop().setExceptionHandler((error) => reports.push(error));
    createTask(() => Promise.reject(new Error("one")));
    createTask(() => Promise.reject(new Error("two")));
    await sleep(1);
    return "main's value";
  }, {
    onUnobservedError: (error) => {
      offered.push(error);
      throw new Error("handler broke");
    },
  });
  assertEquals(result, "main's value");
  assertEquals(offered.length, 2);
  assertEquals(reports.map((e) => (e as Error).message), [
    "handler broke",
    "handler broke",
  ]);
});
