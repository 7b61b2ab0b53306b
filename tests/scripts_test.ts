// Runs every example script as a subprocess, the way a reader would, and
// checks what it prints. Scripts run with a small speed factor so that the
// whole file stays quick; where concurrency is the point, the timing is
// checked too, always as a difference (between two output lines, or between
// two runs at different speeds) so that process start-up cancels out.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fileURLToPath } from "node:url";
import { denoFlags } from "./_helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What one run of a script printed, with when each stdout line arrived. */
interface ScriptRun {
  code: number;
  lines: string[];
  /** Milliseconds from spawning to the arrival of each line. */
  at: number[];
  stderr: string;
  /** Milliseconds from spawning to exit. */
  ms: number;
}

interface RunOptions {
  /** Permission flags, as the script's header documents them. */
  permissions?: string[];
  env?: Record<string, string>;
  /** Called with each stdout line as it arrives (and the child). */
  onLine?: (line: string, child: Deno.ChildProcess) => void;
  /** The child is killed after this long. */
  limitMs?: number;
}

async function runScript(
  script: string,
  args: string[] = [],
  options: RunOptions = {},
): Promise<ScriptRun> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags(),
      ...(options.permissions ?? []),
      `scripts/${script}.ts`,
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const limit = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.limitMs ?? 20_000);
  try {
    const stderr = new Response(child.stderr).text();
    const lines: string[] = [];
    const at: number[] = [];
    let pending = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      const now = performance.now() - start;
      pending += chunk;
      let end;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        lines.push(line);
        at.push(now);
        options.onLine?.(line, child);
      }
    }
    if (pending !== "") {
      lines.push(pending);
      at.push(performance.now() - start);
    }
    const { code } = await child.status;
    return {
      code,
      lines,
      at,
      stderr: await stderr,
      ms: performance.now() - start,
    };
  } finally {
    clearTimeout(limit);
  }
}

/** Runs a script and asserts a clean exit; returns the run. */
async function runOk(
  script: string,
  args: string[] = [],
  options: RunOptions = {},
): Promise<ScriptRun> {
  const run = await runScript(script, args, options);
  assertEquals(
    run.code,
    0,
    `${script} exited with ${run.code}\nstdout:\n${
      run.lines.join("\n")
    }\nstderr:\n${run.stderr}`,
  );
  assertEquals(run.stderr, "", `${script} wrote to stderr`);
  return run;
}

/** Milliseconds between the arrival of two output lines. */
function gap(run: ScriptRun, from: number, to: number): number {
  return run.at[to] - run.at[from];
}

const CLOCK = /^\d\d:\d\d:\d\d$/;

Deno.test("say_hello prints Hello and World after one gathered sleep, not two", async () => {
  const run = await runOk("say_hello", ["--speed", "0.1"]);
  assertEquals(run.lines, ["Hello", "World"]);
  // Gathered, the two 1 s sleeps end together; in turn, World would come
  // a whole unit (500 ms here) after Hello. One run, so start-up and load
  // cancel out.
  const slow = await runOk("say_hello", ["--speed", "0.5"]);
  const ms = gap(slow, 0, 1);
  assert(ms < 250, `World came ${ms} ms after Hello`);
  assert(slow.at[0] >= 500, `Hello after only ${slow.at[0]} ms`);
});

Deno.test("hello_world prints hello, sleeps, prints world", async () => {
  const run = await runOk("hello_world", ["--speed", "0.3"]);
  assertEquals(run.lines, ["hello", "world"]);
  // 300 ms apart: the run cannot end sooner (a gap between arrivals could
  // look shorter on a loaded machine that reads "hello" late).
  assert(run.ms >= 300, `the whole run took only ${run.ms} ms`);
});

Deno.test("create_task runs task_example: started, then finished 2 units later", async () => {
  const run = await runOk("create_task", ["--speed", "0.1"]);
  assertEquals(run.lines, ["Task started", "Task finished"]);
  const ms = gap(run, 0, 1);
  assert(ms < 600, `${ms} ms between the lines`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 150, `the whole run took ${run.ms} ms`);
});

Deno.test("say_after runs its two tasks concurrently: 2 units, not 3", async () => {
  const run = await runOk("say_after", ["--speed", "0.2"]);
  assertEquals(run.lines.length, 4);
  assertMatch(run.lines[0].replace("started at ", ""), CLOCK);
  assertEquals(run.lines.slice(1, 3), ["hello", "world"]);
  assertMatch(run.lines[3].replace("finished at ", ""), CLOCK);
  assert(run.lines[0].startsWith("started at "));
  assert(run.lines[3].startsWith("finished at "));
  const ms = gap(run, 0, 3);
  assert(ms < 540, `started to finished took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 320, `the whole run took ${run.ms} ms`);
});

Deno.test("fetch_data's two tasks overlap their 2 s delays", async () => {
  const run = await runOk("fetch_data", ["--speed", "0.1"]);
  assertEquals(run.lines, [
    "Start fetching data...",
    "Start fetching data...",
    "Data fetched!",
    "Data fetched!",
  ]);
  const ms = gap(run, 0, 3);
  assert(ms < 350, `both fetches took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 150, `the whole run took ${run.ms} ms`);
});

Deno.test("set_future prints the result another task set", async () => {
  const run = await runOk("set_future", ["--speed", "0.05"]);
  assertEquals(run.lines, ["Future is done"]);
});

Deno.test("error_handling catches the task's error, the I/O error and the loop's", async () => {
  const run = await runOk("error_handling", ["--speed", "0.1"]);
  assertEquals(run.lines, [
    "Caught an exception: An example error",
    "log_error: ConnectionReset: connection reset by peer",
    "fetch_data returned undefined",
    "log_error: Error: main failed after 100 ms",
    "finally: loop closed (isRunning() = false)",
  ]);
});

Deno.test("nested prints 42 and nothing for the call never awaited", async () => {
  const run = await runOk("nested");
  assertEquals(run.lines, ["42"]);
});

Deno.test("display_date prints the time five times, a unit apart", async () => {
  const run = await runOk("display_date", ["--speed", "0.1"]);
  assertEquals(run.lines.length, 5, run.lines.join("\n"));
  for (const line of run.lines) {
    assertMatch(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  }
  const ms = gap(run, 0, 4);
  assert(ms < 700, `first to last line took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 320, `the whole run took ${run.ms} ms`);
});

Deno.test("factorial interleaves the tasks and returns the bad one's error", async () => {
  const run = await runOk("factorial", ["--speed", "0.1"]);
  assertEquals(run.lines, [
    "Task A: Compute factorial(2), currently i=2...",
    "Task B: Compute factorial(3), currently i=2...",
    "Task C: Compute factorial(4), currently i=2...",
    "Task A: factorial(2) = 2",
    "Task B: Compute factorial(3), currently i=3...",
    "Task C: Compute factorial(4), currently i=3...",
    "Task B: factorial(3) = 6",
    "Task C: Compute factorial(4), currently i=4...",
    "Task C: factorial(4) = 24",
    `[2, TypeError('factorial() needs a whole number, got "rashid"'), 6, 24]`,
  ]);
  // Concurrent: 3 units in all (C's three steps), not 1 + 2 + 3.
  const ms = gap(run, 0, 9);
  assert(ms < 500, `the gather took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 240, `the whole run took ${run.ms} ms`);
});

Deno.test("shield keeps the work alive and the cancelled worker cleans up", async () => {
  const run = await runOk("shield", ["--speed", "0.2"]);
  assertEquals(run.lines, [
    "== shield keeps work alive when its caller is cancelled",
    "something: started",
    "main: cancelling the caller",
    "caller: cancelled; the shielded work keeps running",
    "main: caller cancelled = true",
    "something: finished",
    "main: something() still returned 42",
    "== a cancelled task cleans up its resource",
    "worker: opened the resource",
    "worker: tick 1",
    "worker: tick 2",
    "main: cancelling the worker",
    "worker: cancelled, closing the resource",
    "worker: resource closed",
    "main: worker cancelled = true",
    "== ignoring cancellation: except CancelledError: res = None",
    "something: started",
    "main: cancelling the caller",
    "caller: CancelledError caught, res = null",
    "main: caller returned null, cancelled = false",
    "something: finished",
    "main: something() still returned 42",
  ]);
  // The caller gave up at 1 unit; the shielded work still ran its 2 units.
  const ms = gap(run, 2, 5);
  assert(ms < 350, `cancel to finished took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 150, `the whole run took ${run.ms} ms`);
});

Deno.test("wait_for prints timeout! and cleans up after answer and timeout", async () => {
  const run = await runOk("wait_for", ["--speed", "0.05"]);
  assertEquals(run.lines, [
    "timeout!",
    "cleanup_resources",
    "fetch_data_with_timeout: data after 1000 ms",
    "handle_timeout: no answer within 5000 ms",
    "cleanup_resources",
    "fetch_data_with_timeout: undefined",
  ]);
  // 1 unit until "timeout!", 1 for the answer, 5 for the second timeout.
  const ms = gap(run, 0, 5);
  assert(ms < 500, `after timeout! it took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 240, `the whole run took ${run.ms} ms`);
});

Deno.test("fetch_data_once prints the two lines 2 units apart", async () => {
  const run = await runOk("fetch_data_once", ["--speed", "0.1"]);
  assertEquals(run.lines, ["Start fetching data...", "Data fetched!"]);
  const ms = gap(run, 0, 1);
  assert(ms < 600, `${ms} ms between the lines`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 190, `the whole run took ${run.ms} ms`);
});

Deno.test("thread_pool_executor prints the blocking read as CPython does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_scripts_" });
  try {
    const file = `${dir}/someFile`;
    await Deno.writeTextFile(file, "it's\n");
    const run = await runOk("thread_pool_executor", ["--file", file], {
      permissions: ["--allow-read"],
    });
    assertEquals(run.lines, [`Blocking I/O function result: b"it's\\n"`]);
    await Deno.writeFile(file, new Uint8Array([0x22, 0x27, 0x5c, 0x00]));
    const both = await runOk("thread_pool_executor", ["--file", file], {
      permissions: ["--allow-read"],
    });
    assertEquals(both.lines, [
      `Blocking I/O function result: b'"\\'\\\\\\x00'`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process_pool_executor prints the sum CPython prints", async () => {
  const run = await runOk("process_pool_executor", [], {
    permissions: ["--allow-read", "--allow-run"],
  });
  // sum(i * i for i in range(10 ** 6)), exact as Python's integers are.
  assertEquals(run.lines, ["CPU-bound function result: 333332833333500000"]);
});

Deno.test("std_async shows which @std/async helpers stop on cancellation", async () => {
  const run = await runOk("std_async", ["--speed", "0.5"]);
  assertEquals(run.lines, [
    "== delay(ms, { signal })",
    "with currentSignal(): stopped at the deadline (undefined)",
    "without a signal: ran on (finished = true), then TimeoutError, late",
    "== abortable(promise, signal)",
    "stopped waiting (undefined); the work under it still running: true",
    "the work finished on its own: true",
    "== deadline(promise, ms) vs aio's timeout(ms, fn)",
    "deadline: TimeoutError (a DOMException); work still running: true",
    "timeout: TimeoutError; the work inside was cancelled (finished = false)",
    "== pooledMap(limit, items, fn) vs Semaphore + taskGroup",
    "pooledMap: [1,4,9,16,25], at most 2 at once",
    "Semaphore(2): [1,4,9,16,25], at most 2 at once",
    "pooledMap gave 1",
    "pooledMap gave 4",
    "pooledMap cancelled (undefined): unwrapped 2 CancelledErrors; calls in flight: 0",
    "== retry(fn, options)",
    'retry: "data" after 3 attempts',
    "retry, cancelled: retried the CancelledError 3 times, then RetryError",
    "retry with the signal checked: undefined, the cancellation won (3 attempts, no work after it)",
    "== debounce(fn, ms)",
    "three calls, one save: [abc]",
    "cancelled with a call pending, cleared in finally: [abc]",
  ]);
});

Deno.test("event_loop runs until complete, closes, then runs until stop()", async () => {
  const run = await runOk("event_loop", ["--speed", "0.05"]);
  assertEquals(run.lines, [
    "run_until_complete: main started, loop running = true",
    "run_until_complete: main finished",
    "loop closed: running = false",
    "run_forever: tick 1",
    "run_forever: tick 2",
    "run_forever: tick 3",
    "stop(): run_forever returned after 3 ticks",
  ]);
});

Deno.test("fetch serves a page on loopback and fetches it twice", async () => {
  const run = await runOk("fetch", [], {
    permissions: ["--allow-net=127.0.0.1"],
  });
  const page =
    "<!doctype html><title>aio</title><h1>Hello from Deno.serve</h1>";
  assertEquals(run.lines.length, 3, run.lines.join("\n"));
  assertMatch(run.lines[0], /^Serving on http:\/\/127\.0\.0\.1:\d+\/$/);
  assertEquals(run.lines.slice(1), [page, page]);
});

Deno.test("fetch --url fetches that address instead of serving", async () => {
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen: () => {},
  }, () => new Response("from the test's server"));
  try {
    const run = await runOk("fetch", [
      "--url",
      `http://127.0.0.1:${server.addr.port}/`,
    ], { permissions: ["--allow-net=127.0.0.1"] });
    assertEquals(run.lines, [
      "from the test's server",
      "from the test's server",
    ]);
  } finally {
    controller.abort();
    await server.finished;
  }
});

Deno.test("fetch --timeout gives up on a server that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const run = await runScript("fetch", [
      "--url",
      `http://127.0.0.1:${listener.addr.port}/`,
      "--timeout",
      "100",
    ], { permissions: ["--allow-net=127.0.0.1"] });
    assertEquals(run.code, 1);
    assertMatch(run.stderr, /TimeoutError/);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("a script cancelled by SIGINT exits with 130 and no stack trace", async () => {
  const run = await runScript("display_date", [], {
    onLine: (_line, child) => child.kill("SIGINT"),
  });
  assertEquals(run.code, 130);
  assertEquals(run.lines.length, 1);
  assertEquals(run.stderr, "");
  assert(run.ms < 3000, `took ${run.ms} ms to stop`);
});

Deno.test("AIO_SPEED sets the speed when the script may read it", async () => {
  const run = await runOk("hello_world", [], {
    permissions: ["--allow-env=AIO_SPEED"],
    env: { AIO_SPEED: "0.05" },
  });
  assertEquals(run.lines, ["hello", "world"]);
  assert(gap(run, 0, 1) < 500, `AIO_SPEED ignored: ${gap(run, 0, 1)} ms`);
});

Deno.test("to_thread overlaps the blocking call with the sleep: 1 unit, not 2", async () => {
  const run = await runOk("to_thread", ["--speed", "0.3"], {
    permissions: ["--allow-read"],
  });
  assertEquals(run.lines.length, 4, run.lines.join("\n"));
  const prefixes = [
    "started main at ",
    "start blocking_io at ",
    "blocking_io complete at ",
    "finished main at ",
  ];
  prefixes.forEach((prefix, i) => {
    assert(run.lines[i].startsWith(prefix), run.lines[i]);
    assertMatch(run.lines[i].slice(prefix.length), CLOCK);
  });
  // The worker's boot counts too, hence the margin; in turn it would be 600.
  const ms = gap(run, 0, 3);
  assert(ms < 520, `main took ${ms} ms`);
  // A lower bound from the whole run: load can make a first line
  // arrive late and a gap look short, never a process end early.
  assert(run.ms >= 240, `the whole run took ${run.ms} ms`);
});

Deno.test("run_in_executor reads in two pools and sums in a third", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_scripts_" });
  try {
    const file = `${dir}/someFile`;
    await Deno.writeFile(file, new Uint8Array([0x68, 0x69, 0x0a, 0xff, 0x27]));
    const run = await runOk("run_in_executor", ["--file", file], {
      permissions: ["--allow-read"],
    });
    // What CPython prints: no line for the default executor, and bytes
    // holding a single quote and no double quote in double quotes.
    assertEquals(run.lines, [
      `Custom thread pool b"hi\\n\\xff'"`,
      "custom process pool 40425",
    ]);
    const own = await runOk("run_in_executor", [], {
      permissions: ["--allow-read"],
    });
    assertEquals(own.lines.length, 2);
    assert(own.lines[0].startsWith("Custom thread pool b'/**\\n * "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("concurrency_comparison times the jobs three ways, side by side", async () => {
  const run = await runOk("concurrency_comparison", [
    "--speed",
    "0.1",
    "--jobs",
    "4",
  ], { permissions: ["--allow-read"] });
  assertEquals(run.lines.length, 4, run.lines.join("\n"));
  assertMatch(run.lines[0], /^4 I\/O-bound jobs \(each waits 100 ms\)/);
  assertMatch(run.lines[1], /^job\s+sequential\s+tasks\s+workers$/);
  const row = (line: string): number[] =>
    [...line.matchAll(/(\d+) ms/g)].map((m) => Number(m[1]));
  assert(run.lines[2].startsWith("I/O-bound"));
  assert(run.lines[3].startsWith("CPU-bound"));
  const [ioSequential, ioTasks, ioWorkers] = row(run.lines[2]);
  assert(ioSequential >= 395, `sequential waits took ${ioSequential} ms`);
  // Four 100 ms waits overlap, in tasks and in workers alike.
  assert(ioTasks >= 98 && ioTasks < 250, `tasks took ${ioTasks} ms`);
  assert(ioWorkers >= 98 && ioWorkers < 300, `workers took ${ioWorkers} ms`);
  assertEquals(row(run.lines[3]).length, 3);
});

Deno.test("demo --list names every step in order", async () => {
  const run = await runOk("demo", ["--list"], { permissions: ["-A"] });
  const names = run.lines.map((line) => /^\s*\d+\. (\w+)/.exec(line)?.[1])
    .filter((name) => name !== undefined);
  assertEquals(names, [
    "hello_world",
    "say_hello",
    "create_task",
    "say_after",
    "fetch_data_once",
    "fetch_data",
    "set_future",
    "echo",
    "error_handling",
    "nested",
    "display_date",
    "factorial",
    "shield",
    "wait_for",
    "to_thread",
    "run_in_executor",
    "thread_pool_executor",
    "process_pool_executor",
    "event_loop",
    "subprocess",
    "signals",
    "fetch",
    "http_server",
    "concurrency_comparison",
    "std_async",
  ]);
});

Deno.test("demo --only runs those steps with headings and a summary", async () => {
  const run = await runOk("demo", ["--only", "nested,say_hello", "--fast"], {
    permissions: ["-A"],
  });
  const text = run.lines.join("\n");
  assertMatch(text, /^aio demo: 2 steps, sleeps scaled by 0\.1$/m);
  assertMatch(text, /1\/2 {2}say_hello: /);
  assertMatch(text, /2\/2 {2}nested: /);
  assertMatch(text, /│ Hello\n {2}│ World/);
  assertMatch(text, /│ 42/);
  assertMatch(text, /^\s+1\s+say_hello\s+ok\s+\d+ ms$/m);
  assertMatch(text, /^\s+2\s+nested\s+ok\s+\d+ ms$/m);
  assertMatch(text, /^\s+total\s+all ok\s+\d+ ms$/m);
});

Deno.test("demo runs the echo pair: server on a free port, client, SIGINT", async () => {
  const run = await runOk("demo", ["--only", "echo", "--fast"], {
    permissions: ["-A"],
  });
  const text = run.lines.join("\n");
  assertMatch(text, /│ Serving on 127\.0\.0\.1:\d+/);
  assertMatch(text, /│ Received Hello World! from \('127\.0\.0\.1', \d+\)/);
  assertMatch(text, /│ Received: Hello World!/);
  assertMatch(text, /✓ echo: ok in/);
});

Deno.test("demo rejects an unknown step and stops cleanly on SIGINT", async () => {
  const bad = await runScript("demo", ["--only", "nope"], {
    permissions: ["-A"],
  });
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /^error: Unknown step "nope"; the steps are: /);

  // Interrupted in the middle of a 4 s step, it stops the step's child,
  // reports the step as interrupted and exits with 130.
  const run = await runScript("demo", ["--only", "display_date"], {
    permissions: ["-A"],
    onLine: (line, child) => {
      if (line.includes("│ ")) child.kill("SIGINT");
    },
  });
  assertEquals(run.code, 130, run.stderr);
  assert(run.ms < 3000, `took ${run.ms} ms to stop`);
  const text = run.lines.join("\n");
  assertMatch(text, /✗ display_date: interrupted/);
  assertMatch(text, /^\s+1\s+display_date\s+interrupted/m);
});

const ALL_SCRIPTS = [
  "say_hello",
  "hello_world",
  "create_task",
  "say_after",
  "fetch_data",
  "set_future",
  "error_handling",
  "nested",
  "display_date",
  "factorial",
  "shield",
  "wait_for",
  "event_loop",
  "fetch",
  "to_thread",
  "run_in_executor",
  "concurrency_comparison",
  "fetch_data_once",
  "thread_pool_executor",
  "process_pool_executor",
  "std_async",
  "echo_server",
  "echo_client",
  "demo",
];

Deno.test("every script rejects a bad --speed or an unknown flag with exit code 2", async () => {
  for (const script of ALL_SCRIPTS) {
    const bad = await runScript(script, ["--speed", "0"]);
    assertEquals(bad.code, 2, `${script} --speed 0`);
    assertEquals(bad.lines, []);
    assertMatch(bad.stderr, /^error: --speed must be a positive number/);
    const unknown = await runScript(script, ["--nope"]);
    assertEquals(unknown.code, 2, `${script} --nope`);
    assertEquals(unknown.stderr, "error: Unknown argument: --nope\n");
  }
});

Deno.test("every script's --help says what it shows, its flags and its permissions", async () => {
  for (const script of ALL_SCRIPTS.filter((name) => name !== "demo")) {
    const run = await runOk(script, ["--help"]);
    const text = run.lines.join("\n");
    assertMatch(text, new RegExp(`^usage: deno run .*scripts/${script}\\.ts`));
    assertMatch(text, /^ {2}--speed X {2}/m);
    assertMatch(text, /^ {2}--help {2}/m);
    assertMatch(text, /^Permissions: /m);
  }
});
