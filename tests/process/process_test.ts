import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
} from "@std/assert";
import {
  CancelledError,
  createSubprocessExec,
  createSubprocessShell,
  IncompleteReadError,
  InvalidStateError,
  moveOnAfter,
  run,
  runProcess,
  sleep,
  taskGroup,
  timeout,
  TimeoutError,
} from "@seed/aio";
import { caught } from "../_helpers.ts";
import { exists, pgrep, state, uniqueSleep } from "./_helpers.ts";

const text = (bytes: Uint8Array | null): string =>
  new TextDecoder().decode(bytes ?? new Uint8Array());

Deno.test("`createSubprocessExec()` pipes: readline, readexactly and for await on stdout", async () => {
  await run(async () => {
    const proc = await createSubprocessExec(
      "sh",
      ["-c", "printf 'one\\ntwo\\nABCDEFthree\\nfour\\n'"],
      { stdout: "piped" },
    );
    assert(proc.pid > 0);
    assertEquals(proc.stdin, null);
    assertEquals(proc.stderr, null);
    assertEquals(text(await proc.stdout!.readline()), "one\n");
    assertEquals(text(await proc.stdout!.readline()), "two\n");
    assertEquals(text(await proc.stdout!.readexactly(6)), "ABCDEF");
    const rest: string[] = [];
    for await (const line of proc.stdout!) rest.push(text(line));
    assertEquals(rest, ["three\n", "four\n"]);
    assertEquals(await proc.wait(), 0);
    assertEquals(proc.returncode, 0);
    const short = await caught(() => proc.stdout!.readexactly(1));
    assertInstanceOf(short, IncompleteReadError);
  });
});

Deno.test("`Process.stdin` is a StreamWriter: write, drain, close gives the child EOF", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", [], {
      stdin: "piped",
      stdout: "piped",
    });
    for (let i = 0; i < 3; i++) {
      proc.stdin!.write(`line ${i}\n`);
      await proc.stdin!.drain();
      assertEquals(text(await proc.stdout!.readline()), `line ${i}\n`);
    }
    proc.stdin!.close();
    await proc.stdin!.waitClosed();
    assertEquals(text(await proc.stdout!.read()), "");
    assertEquals(await proc.wait(), 0);
  });
});

Deno.test("`Process.communicate()` sends input, collects stdout and stderr, waits for exit", async () => {
  await run(async () => {
    const proc = await createSubprocessExec(
      "sh",
      ["-c", "tr a-z A-Z; echo done >&2; exit 2"],
      { stdin: "piped", stdout: "piped", stderr: "piped" },
    );
    const big = "abc\n".repeat(50_000); // more than a pipe holds
    const { stdout, stderr } = await proc.communicate(big);
    assertEquals(text(stdout), "ABC\n".repeat(50_000));
    assertEquals(text(stderr), "done\n");
    assertEquals(proc.returncode, 2);
  });
});

Deno.test("`Process.communicate()` after stdin was closed is a clear error, and no zombie is left", async () => {
  let pid = 0;
  await run(async () => {
    const proc = await createSubprocessExec("cat", [], {
      stdin: "piped",
      stdout: "piped",
    });
    pid = proc.pid;
    proc.stdin!.close();
    await assertRejects(
      () => proc.communicate("late"),
      InvalidStateError,
      "stdin was already closed",
    );
    const unpiped = await createSubprocessExec("true", [], { stdout: "null" });
    await assertRejects(
      () => unpiped.communicate("x"),
      InvalidStateError,
      'stdin is not "piped"',
    );
    await assertRejects(
      () => proc.communicate(42 as unknown as string),
      TypeError,
      "input must be a Uint8Array or a string",
    );
    // Without input it still works: cat saw EOF.
    const { stdout } = await proc.communicate();
    assertEquals(text(stdout), "");
    assertEquals(await unpiped.wait(), 0);
  });
  assertEquals(state(pid), undefined, "the child is gone, not a zombie");
});

Deno.test('`Process` stderr "stdout" merges both into one pipe, in order', async () => {
  await run(async () => {
    const proc = await createSubprocessExec(
      "sh",
      ["-c", "echo a; echo b >&2; echo c; echo d >&2"],
      { stdout: "piped", stderr: "stdout" },
    );
    assertEquals(proc.stderr, null);
    const { stdout } = await proc.communicate();
    assertEquals(text(stdout), "a\nb\nc\nd\n");
  });
  await run(async () => {
    await assertRejects(
      () => createSubprocessExec("true", [], { stderr: "stdout" }),
      TypeError,
      'stderr "stdout" needs stdout "piped"',
    );
  });
});

Deno.test("`Process.wait()` cancelled stops the child first: SIGTERM, then CancelledError once it exited", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sleep", [uniqueSleep()]);
    const start = performance.now();
    const error = await caught(() => timeout(100, () => proc.wait()));
    assertInstanceOf(error, TimeoutError);
    assertEquals(proc.returncode, -15, "ended by SIGTERM before the throw");
    assert(performance.now() - start < 1000);
  });
});

Deno.test("`Process` belongs to its scope: cancelling the scope stops it even when nobody waits", async () => {
  await run(async () => {
    let pid = 0;
    const marker = uniqueSleep();
    await moveOnAfter(100, async () => {
      const proc = await createSubprocessExec("sleep", [marker]);
      pid = proc.pid;
      await sleep(10_000);
    });
    // The child was signalled when the scope was cancelled; it is reaped
    // shortly after.
    for (let i = 0; i < 100 && pgrep(`sleep ${marker}`).length > 0; i++) {
      await sleep(10);
    }
    assertEquals(pgrep(`sleep ${marker}`), []);
    assert(pid > 0);
  });
});

Deno.test("no process outlives run(): one left running is stopped and reaped before run() returns", async () => {
  const marker = uniqueSleep();
  let pid = 0;
  const start = performance.now();
  await run(async () => {
    const proc = await createSubprocessShell(
      `sleep ${marker} & sleep ${marker}`,
      {
        stdout: "piped",
        stdin: "piped",
      },
    );
    pid = proc.pid;
    // Returns without waiting; its pipes were never used.
  });
  assert(performance.now() - start < 1500);
  assertEquals(state(pid), undefined);
  assertEquals(pgrep(`sleep ${marker}`), []);
});

Deno.test("`Process` sendSignal, terminate and kill reach the whole group; returncode is -N", async () => {
  await run(async () => {
    const marker = uniqueSleep();
    const shell = await createSubprocessShell(
      `sleep ${marker} & sleep ${marker}; echo never`,
      { stdout: "piped" },
    );
    while (pgrep(`sleep ${marker}`).length < 2) await sleep(10);
    shell.terminate();
    assertEquals(await shell.wait(), -15);
    for (let i = 0; i < 100 && pgrep(`sleep ${marker}`).length > 0; i++) {
      await sleep(10);
    }
    assertEquals(pgrep(`sleep ${marker}`), [], "the background child too");

    const killed = await createSubprocessExec("sleep", [uniqueSleep()]);
    killed.kill();
    assertEquals(await killed.wait(), -9);
    const hup = await createSubprocessExec("sleep", [uniqueSleep()]);
    hup.sendSignal("SIGHUP");
    assertEquals(await hup.wait(), -1);
    // After exit, signalling does nothing.
    hup.kill();
    assertEquals(hup.returncode, -1);
    assertEquals(
      (await caught(() => hup.sendSignal("SIGNOPE" as Deno.Signal)) as Error)
        .message,
      'Process.sendSignal(): unknown signal "SIGNOPE"; expected a name like "SIGINT"',
    );
  });
});

Deno.test("`await using` a Process stops it and closes its pipes when the block ends", async () => {
  await run(async () => {
    let pid = 0;
    {
      await using proc = await createSubprocessExec("sleep", [uniqueSleep()], {
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      });
      pid = proc.pid;
    }
    assertEquals(state(pid), undefined);
    // A process that ended on its own is left as it was.
    {
      await using done = await createSubprocessExec("sh", ["-c", "exit 5"]);
      assertEquals(await done.wait(), 5);
    }
  });
});

Deno.test("`createSubprocessShell()` runs a command line; cancelling the caller stops every command in it", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("echo one two | wc -w", {
      stdout: "piped",
    });
    assertEquals(text((await proc.communicate()).stdout).trim(), "2");
    await assertRejects(
      () => createSubprocessShell(""),
      TypeError,
      "non-empty string",
    );
    const marker = uniqueSleep();
    await taskGroup(async (tg) => {
      const task = tg.createTask(async () => {
        const p = await createSubprocessShell(
          `sleep ${marker} | sleep ${marker}`,
        );
        return await p.wait();
      });
      while (pgrep(`sleep ${marker}`).length < 2) await sleep(10);
      task.cancel();
      assertInstanceOf(await caught(() => task), CancelledError);
      assertEquals(pgrep(`sleep ${marker}`), []);
    });
  });
});

Deno.test("`createSubprocessExec()` rejects bad input clearly", async () => {
  await run(async () => {
    const missing = await caught(() =>
      createSubprocessExec("no-such-command-aio", [], { stdout: "piped" })
    );
    assertInstanceOf(missing, Deno.errors.NotFound);
    assertMatch(
      (missing as Error).message,
      /createSubprocessExec\(\): cannot run "no-such-command-aio": no such executable/,
    );
    const notExecutable = await caught(() => createSubprocessExec("/etc"));
    assertInstanceOf(notExecutable, Deno.errors.PermissionDenied);
    await assertRejects(
      () => createSubprocessExec("true", [], { stdout: "pipe" as "piped" }),
      TypeError,
      'option stdout must be "piped", "inherit", "null"',
    );
    await assertRejects(
      () => createSubprocessExec("true", [], { stdoutt: "piped" } as never),
      TypeError,
      "did you mean stdout?",
    );
    await assertRejects(
      () => createSubprocessExec("true", [], { env: { A: 1 } as never }),
      TypeError,
      "option env must be an object of strings",
    );
    await assertRejects(
      () => createSubprocessExec("true", [], { killGraceMs: "1" as never }),
      TypeError,
      "option killGraceMs",
    );
  });
  await assertRejects(
    () => createSubprocessExec("true"),
    InvalidStateError,
    "inside run()",
  );
});

Deno.test("`Process` env, clearEnv and cwd reach the child", async () => {
  await run(async () => {
    const proc = await createSubprocessExec(
      "/bin/sh",
      ["-c", 'echo "$AIO_Y:$HOME"; pwd'],
      { stdout: "piped", env: { AIO_Y: "y" }, clearEnv: true, cwd: "/tmp" },
    );
    const { stdout } = await proc.communicate();
    assertEquals(text(stdout), "y:\n/tmp\n");
  });
});

Deno.test("`Process` starting in a cancelled scope throws CancelledError and starts nothing", async () => {
  await run(async () => {
    const marker = uniqueSleep();
    const result = await moveOnAfter(0, async () => {
      await createSubprocessExec("sleep", [marker]);
      return "started";
    });
    assertEquals(result, undefined);
    assertEquals(pgrep(`sleep ${marker}`), []);
  });
});

Deno.test("a terminal's Ctrl-C reaches the children: without runMain aio forwards SIGINT, then the program ends", async () => {
  const marker = uniqueSleep();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(await import("../_helpers.ts")).denoFlags(),
      new URL("./_sigint_child.ts", import.meta.url).pathname,
      marker,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  assertMatch(out, /ready/);
  assertEquals(pgrep(`sleep ${marker}`).length, 1);
  Deno.kill(child.pid, "SIGINT");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  const err = new TextDecoder().decode(
    await new Response(child.stderr).arrayBuffer(),
  );
  assertEquals(status.signal, "SIGINT", err);
  for (let i = 0; i < 100 && pgrep(`sleep ${marker}`).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assertEquals(pgrep(`sleep ${marker}`), []);
});

Deno.test("`Process` pid exists while running and is reaped after wait()", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sleep", ["0.05"]);
    assert(exists(proc.pid));
    assertEquals(proc.returncode, null);
    assertEquals(await proc.wait(), 0);
    assertEquals(state(proc.pid), undefined);
  });
});

Deno.test("`processGroup: false` keeps the child in this process's group; signals reach only the child", async () => {
  const pgid = (pid: number): string => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2];
  };
  await run(async () => {
    const own = await createSubprocessExec("sleep", [uniqueSleep()], {
      processGroup: false,
    });
    assertEquals(pgid(own.pid), pgid(Deno.pid));
    own.terminate();
    assertEquals(await own.wait(), -15);
    const grouped = await createSubprocessExec("sleep", [uniqueSleep()]);
    // Its own group (made by `setsid` as it starts, or before Deno's exec).
    for (let i = 0; i < 100 && pgid(grouped.pid) !== String(grouped.pid); i++) {
      await sleep(10);
    }
    assertEquals(pgid(grouped.pid), String(grouped.pid));
    grouped.kill();
    assertEquals(await grouped.wait(), -9);
    const result = await runProcess("echo", ["fast"], {
      processGroup: false,
      capture: true,
      text: true,
    });
    assertEquals(result.stdout, "fast\n");
  });
});

Deno.test("without PATH access (no `setsid` fast path), children still get a group of their own (Deno's detached)", async () => {
  const marker = uniqueSleep();
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-run", // but no --allow-env: PATH cannot be read, no `setsid`
      ...(await import("../_helpers.ts")).denoFlags(),
      new URL("./_fallback_child.ts", import.meta.url).pathname,
      marker,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(output.stderr);
  assertEquals(
    new TextDecoder().decode(output.stdout),
    "TimeoutError\n0\n",
    err,
  );
  assertEquals(pgrep(`sleep ${marker}`), []);
});
