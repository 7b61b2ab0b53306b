import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  CalledProcessError,
  CancelledError,
  createSubprocessExec,
  InvalidStateError,
  run,
  runProcess,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";
import { caught } from "../_helpers.ts";
import { pgrep, uniqueSleep } from "./_helpers.ts";

const decode = (bytes: Uint8Array | null): string =>
  new TextDecoder().decode(bytes ?? new Uint8Array());

Deno.test("`runProcess()` returns the code and the captured output", async () => {
  await run(async () => {
    const result = await runProcess("sh", ["-c", "echo out; echo err >&2"], {
      capture: true,
    });
    assertEquals(result.code, 0);
    assertEquals(result.signal, null);
    assertEquals(decode(result.stdout), "out\n");
    assertEquals(decode(result.stderr), "err\n");
    const text = await runProcess("echo", ["hi"], {
      capture: true,
      text: true,
    });
    assertEquals(text.stdout, "hi\n");
    const notCaptured = await runProcess("true");
    assertEquals(notCaptured, {
      code: 0,
      signal: null,
      stdout: null,
      stderr: null,
    });
  });
});

Deno.test('`runProcess()` feeds input to stdin and merges stderr with capture "stdout"', async () => {
  await run(async () => {
    const upper = await runProcess("tr", ["a-z", "A-Z"], {
      input: "hello\n",
      capture: true,
      text: true,
    });
    assertEquals(upper.stdout, "HELLO\n");
    const merged = await runProcess(
      "sh",
      ["-c", "echo one; echo two >&2; echo three"],
      { capture: "stdout", text: true },
    );
    assertEquals(merged.stdout, "one\ntwo\nthree\n");
    assertEquals(merged.stderr, null);
    // Without input, stdin is empty: cat ends at once.
    const empty = await runProcess("cat", [], { capture: true, text: true });
    assertEquals(empty.stdout, "");
    // A child that exits without reading its input is not an error.
    const big = "x".repeat(1 << 20);
    const ignored = await runProcess("true", [], { input: big });
    assertEquals(ignored.code, 0);
  });
});

Deno.test("`runProcess()` throws CalledProcessError with code, signal and output when check fails", async () => {
  await run(async () => {
    const error = await caught(() =>
      runProcess(
        "sh",
        ["-c", "echo partial; echo 'no such file' >&2; exit 3"],
        {
          capture: true,
        },
      )
    );
    assertInstanceOf(error, CalledProcessError);
    assertEquals(error.code, 3);
    assertEquals(error.signal, null);
    assertEquals(decode(error.stdout as Uint8Array), "partial\n");
    assertEquals(decode(error.stderr as Uint8Array), "no such file\n");
    assertMatch(error.message, /exited with code 3: no such file$/);
    assertEquals(error.cmd[0], "sh");

    const killed = await caught(() =>
      runProcess("sh", ["-c", "kill -TERM $$; sleep 5"])
    );
    assertInstanceOf(killed, CalledProcessError);
    assertEquals(killed.signal, "SIGTERM");
    assertEquals(killed.code, 143);
    assertMatch(killed.message, /was ended by SIGTERM/);

    const unchecked = await runProcess("sh", ["-c", "exit 4"], {
      check: false,
    });
    assertEquals(unchecked.code, 4);
  });
});

Deno.test("`runProcess()` under timeout(200) kills the whole group and throws TimeoutError within 1.3 s", async () => {
  const marker = uniqueSleep();
  await run(async () => {
    const start = performance.now();
    const error = await caught(() =>
      timeout(
        200,
        () => runProcess("sh", ["-c", `sleep ${marker} & sleep ${marker}`]),
      )
    );
    const elapsed = performance.now() - start;
    assertInstanceOf(error, TimeoutError);
    assert(elapsed < 1300, `took ${elapsed} ms`);
    assertEquals(pgrep(`sleep ${marker}`), []);
  });
  // The option does the same.
  await run(async () => {
    const error = await caught(() =>
      runProcess("sleep", [marker], { timeout: 100 })
    );
    assertInstanceOf(error, TimeoutError);
    assertEquals(pgrep(`sleep ${marker}`), []);
  });
});

Deno.test("a child that ignores SIGTERM gets SIGKILL after killGraceMs", async () => {
  const marker = uniqueSleep();
  await run(async () => {
    const proc = await createSubprocessExec(
      "sh",
      ["-c", `trap '' TERM; echo ready; sleep ${marker}`],
      { stdout: "piped", killGraceMs: 400 },
    );
    // The trap is set (on a loaded machine the shell may take a while).
    assertEquals(
      new TextDecoder().decode(await proc.stdout!.readline()),
      "ready\n",
    );
    const start = performance.now();
    const error = await caught(() => timeout(100, () => proc.wait()));
    const elapsed = performance.now() - start;
    assertInstanceOf(error, TimeoutError);
    assertEquals(proc.returncode, -9);
    assert(
      elapsed >= 480,
      `SIGKILL came after ${elapsed} ms, before the grace`,
    );
    assert(elapsed < 3000, `took ${elapsed} ms`);
    assertEquals(pgrep(`sleep ${marker}`), []);
  });
});

Deno.test("`runProcess()` cancelled with its group throws CancelledError once the child is gone", async () => {
  const marker = uniqueSleep();
  await run(async () => {
    let outcome: unknown;
    await taskGroup(async (tg) => {
      tg.createTask(async () => {
        try {
          await runProcess("sleep", [marker]);
        } catch (error) {
          outcome = error;
          // The child has exited by the time the wait throws.
          assertEquals(pgrep(`sleep ${marker}`), []);
          throw error;
        }
      });
      while (pgrep(`sleep ${marker}`).length === 0) await sleep(10);
      tg.cancel();
    }).catch(() => {});
    assertInstanceOf(outcome, CancelledError);
  });
});

Deno.test("`runProcess()` rejects bad input clearly, before starting anything", async () => {
  await run(async () => {
    const missing = await caught(() => runProcess("no-such-command-aio"));
    assertInstanceOf(missing, Deno.errors.NotFound);
    assertMatch(
      (missing as Error).message,
      /runProcess\(\): cannot run "no-such-command-aio": no such executable/,
    );
    const cwd = await caught(() =>
      runProcess("true", [], { cwd: "/no/such/dir" })
    );
    assertInstanceOf(cwd, Deno.errors.NotFound);
    assertMatch((cwd as Error).message, /no such working directory/);
    await assertRejects(
      () => runProcess("echo", "hi" as unknown as string[]),
      TypeError,
      "args must be an array of strings",
    );
    await assertRejects(
      () => runProcess("echo", [1 as unknown as string]),
      TypeError,
      "args[0] must be a string",
    );
    await assertRejects(
      () => runProcess("echo", ["a\0b"]),
      TypeError,
      "nul byte",
    );
    await assertRejects(
      () => runProcess("true", [], { chek: false } as never),
      TypeError,
      "did you mean check?",
    );
    await assertRejects(
      () => runProcess("true", [], { timeout: "1" as unknown as number }),
      TypeError,
      "option timeout",
    );
    await assertRejects(
      () => runProcess(42 as unknown as string),
      TypeError,
      "the command must be a string",
    );
  });
  await assertRejects(
    () => runProcess("true"),
    InvalidStateError,
    "inside run()",
  );
});

Deno.test("`runProcess()` counts as real work: virtual time does not jump past it", async () => {
  await withVirtualTime(async () => {
    await run(async () => {
      // Were the clock to jump while the child runs, the 60 s deadline
      // would pass at once and this would throw TimeoutError.
      const result = await timeout(60_000, () => runProcess("sleep", ["0.2"]));
      assertEquals(result.code, 0);
    });
  });
});

Deno.test("`runProcess()` passes env, clearEnv and cwd", async () => {
  await run(async () => {
    const env = await runProcess("sh", ["-c", 'echo "$AIO_X:$HOME"'], {
      env: { AIO_X: "x" },
      capture: true,
      text: true,
    });
    assertMatch(env.stdout!, /^x:.+\n$/);
    const cleared = await runProcess("/bin/sh", ["-c", 'echo "$AIO_X:$HOME"'], {
      env: { AIO_X: "y" },
      clearEnv: true,
      capture: true,
      text: true,
    });
    assertEquals(cleared.stdout, "y:\n");
    const dir = await runProcess("pwd", [], {
      cwd: "/tmp",
      capture: true,
      text: true,
    });
    assertEquals(dir.stdout, "/tmp\n");
  });
});
