/**
 * A guided tour of aio: runs every example script in the order of the
 * asyncio documents, each under a heading that names the asyncio call it
 * mirrors, with its output indented below, a progress display, and a final
 * table of what ran and how long it took. The echo server is started on a
 * free port, the echo client is run against it, and the server is stopped
 * with SIGINT.
 *
 * This is the README's "main job": `deno task demo [flags]`.
 *
 * Flags:
 *   --list          list the steps and exit
 *   --only NAME     run only these steps (repeat it, or separate with commas)
 *   --fast          shrink every sleep tenfold (`--speed 0.1`)
 *   --speed X       scale every sleep by X (env AIO_SPEED also works)
 *   --help          this text
 *
 * Run: deno run -A scripts/demo.ts [--fast] [--only say_hello,factorial]
 * (the steps need network access on loopback, worker threads, reading
 * files and starting subprocesses). Built with `deno task compile`, the
 * standalone binary runs the same tour from the scripts compiled into it.
 *
 * @module
 */

import {
  Future,
  isCancelled,
  moveOnAfter,
  runMain,
  taskGroup,
} from "@seed/aio";
import { fileURLToPath } from "node:url";
import { parseArgs } from "@std/cli/parse-args";

/** One stop of the tour. */
export interface Step {
  /** The name `--only` takes: the script's name. */
  name: string;
  /** What it shows. */
  title: string;
  /** The asyncio call (or example) it mirrors. */
  mirrors: string;
  /** Permission flags for `deno run`. */
  permissions: string[];
  /** Extra arguments for the script. */
  args?: string[];
}

/** The tour, in the order of the asyncio documents. */
export const STEPS: readonly Step[] = [
  {
    name: "hello_world",
    title: "a coroutine: hello, sleep 1 s, world",
    mirrors: "asyncio.run(main())",
    permissions: [],
  },
  {
    name: "say_hello",
    title: "say_hello and say_world gathered: 1 s, not 2 s",
    mirrors: "asyncio.gather(say_hello(), say_world())",
    permissions: [],
  },
  {
    name: "create_task",
    title: "task_example scheduled as a task and awaited",
    mirrors: "asyncio.create_task(task_example())",
    permissions: [],
  },
  {
    name: "say_after",
    title: "two say_after tasks: started at / finished at, 2 s apart",
    mirrors: "asyncio.create_task(say_after(1, 'hello'))",
    permissions: [],
  },
  {
    name: "fetch_data_once",
    title: "one coroutine run by the loop: fetch_data, 2 s",
    mirrors: "asyncio.run(fetch_data())",
    permissions: [],
  },
  {
    name: "fetch_data",
    title: "two fetch_data tasks awaited in turn",
    mirrors: "asyncio.create_task(fetch_data())",
    permissions: [],
  },
  {
    name: "set_future",
    title: "a Future resolved by another task after 2 s",
    mirrors: "asyncio.Future(), fut.set_result()",
    permissions: [],
  },
  {
    name: "echo",
    title: "TCP echo server and client on loopback",
    mirrors: "asyncio.start_server(handle_client, ...), open_connection",
    permissions: ["--allow-net=127.0.0.1"],
  },
  {
    name: "error_handling",
    title: "errors: in a task, an I/O error, around the loop",
    mirrors: "try: await task / except IOError / finally: loop.close()",
    permissions: [],
  },
  {
    name: "nested",
    title: "awaitables: a call never awaited does nothing",
    mirrors: "print(await nested())",
    permissions: [],
  },
  {
    name: "display_date",
    title: "display_date on the loop's clock, for about 5 s",
    mirrors: "loop.time(), asyncio.sleep(1)",
    permissions: [],
  },
  {
    name: "factorial",
    title: "factorial tasks gathered, one given a bad argument",
    mirrors: "asyncio.gather(..., return_exceptions=True)",
    permissions: [],
  },
  {
    name: "shield",
    title: "shield keeps work alive; a cancelled task cleans up",
    mirrors: "asyncio.shield(something())",
    permissions: [],
  },
  {
    name: "wait_for",
    title: "eternity under a 1 s timeout; fetch_data_with_timeout",
    mirrors: "asyncio.wait_for(eternity(), timeout=1.0)",
    permissions: [],
  },
  {
    name: "to_thread",
    title: "blocking_io in a thread, gathered with sleep(1)",
    mirrors: "asyncio.to_thread(blocking_io)",
    permissions: ["--allow-read"],
  },
  {
    name: "run_in_executor",
    title: "default executor, a thread pool, a process pool",
    mirrors: "loop.run_in_executor(executor, func)",
    permissions: ["--allow-read"],
  },
  {
    name: "thread_pool_executor",
    title: "blocking I/O in a pool: Blocking I/O function result",
    mirrors: "with ThreadPoolExecutor() as pool: loop.run_in_executor(pool, f)",
    permissions: ["--allow-read"],
  },
  {
    name: "process_pool_executor",
    title: "CPU-bound work in a process pool: CPU-bound function result",
    mirrors:
      "with ProcessPoolExecutor() as pool: loop.run_in_executor(pool, f)",
    permissions: ["--allow-read", "--allow-run"],
  },
  {
    name: "event_loop",
    title: "run until complete and close; run forever until stop()",
    mirrors: "loop.run_until_complete(main()), loop.run_forever()",
    permissions: [],
  },
  {
    name: "subprocess",
    title: "shell commands at once: exit codes, output, a timeout, input",
    mirrors: "asyncio.create_subprocess_shell(cmd), proc.communicate()",
    permissions: ["--allow-run"],
  },
  {
    name: "signals",
    title: "a service: reload on SIGHUP, stop cleanly on SIGINT",
    mirrors: "loop.add_signal_handler(SIGHUP, reload); open_signal_receiver",
    permissions: [],
    args: ["--demo"],
  },
  {
    name: "fetch",
    title: "HTTP with fetch and the task's signal (local Deno.serve)",
    mirrors: "aiohttp session.get(url)",
    permissions: ["--allow-net=127.0.0.1"],
  },
  {
    name: "http_server",
    title: "an HTTP service: handlers are tasks, cancelled when clients leave",
    mirrors: "aiohttp web.run_app(app) with asyncio.sleep and to_thread",
    permissions: ["--allow-net=127.0.0.1", "--allow-read"],
    args: ["--demo"],
  },
  {
    name: "concurrency_comparison",
    title: "I/O- and CPU-bound jobs: sequential, tasks, workers",
    mirrors: "asyncio vs threading vs multiprocessing",
    permissions: ["--allow-read"],
  },
  {
    name: "std_async",
    title: "@std/async in tasks: which helpers stop on cancellation",
    mirrors: "(Deno's @std/async with the task's signal)",
    permissions: [],
  },
];

/** How one step went. */
export interface Outcome {
  step: Step;
  ok: boolean;
  /** The exit code, or a word for what went wrong. */
  status: string;
  ms: number;
}

/** The demo's parsed flags. */
export interface DemoOptions {
  list: boolean;
  help: boolean;
  speed: number;
  only: string[];
}

const HELP =
  `usage: deno task demo [--list] [--only NAME[,NAME...]] [--fast | --speed X]

  --list        list the steps and exit
  --only NAME   run only these steps (repeatable, or comma-separated)
  --fast        shrink every sleep tenfold (same as --speed 0.1)
  --speed X     scale every sleep by X (env AIO_SPEED also works)`;

/**
 * Parses the demo's flags.
 *
 * @param args The command-line arguments.
 * @returns The options.
 * @throws {TypeError} On an unknown flag or step name.
 * @throws {RangeError} On a speed that is not a positive number.
 */
export function parseDemoArgs(args: string[]): DemoOptions {
  const flags = parseArgs(args, {
    boolean: ["list", "fast", "help"],
    string: ["speed", "only"],
    collect: ["only"],
    alias: { h: "help" },
    unknown: (arg) => {
      throw new TypeError(`Unknown argument: ${arg}`);
    },
  });
  const env = Deno.permissions.querySync({
    name: "env",
    variable: "AIO_SPEED",
  });
  const text = flags.speed ?? (flags.fast ? "0.1" : undefined) ??
    (env.state === "granted" ? Deno.env.get("AIO_SPEED") : undefined) ?? "1";
  const speed = Number(text);
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(`--speed must be a positive number, got "${text}"`);
  }
  // `?? []`: the npm-only parse-args adapter leaves an unused collect undefined.
  const only = ((flags.only ?? []) as unknown[]).flatMap((value) =>
    String(value).split(",").map((name) => name.trim()).filter(Boolean)
  );
  const known = new Set(STEPS.map((step) => step.name));
  for (const name of only) {
    if (!known.has(name)) {
      throw new TypeError(
        `Unknown step "${name}"; the steps are: ${[...known].join(", ")}`,
      );
    }
  }
  return { list: flags.list, help: flags.help, speed, only };
}

// Output: a heading per step, the step's lines indented, and on a terminal
// a status line at the bottom that is redrawn as time passes.

const encoder = new TextEncoder();
const tty = Deno.stdout.isTerminal();
let status = "";

function write(text: string): void {
  let data = text;
  if (tty && status !== "") data = `\r\x1b[2K${text}${status}`;
  Deno.stdout.writeSync(encoder.encode(data));
}

function println(line = ""): void {
  write(`${line}\n`);
}

function setStatus(text: string): void {
  if (!tty) return;
  status = text;
  Deno.stdout.writeSync(encoder.encode(`\r\x1b[2K${text}`));
}

function bar(done: number, total: number, width = 20): string {
  const full = Math.round((done / total) * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Where the scripts live, and how to start one. */
interface Launcher {
  command(step: string, args: string[], permissions: string[]): Deno.Command;
}

/** The `deno run` flags this process was started with for `@std/*`. */
function childDenoFlags(): string[] {
  const env = Deno.permissions.querySync({
    name: "env",
    variable: "AIO_DENO_FLAGS",
  });
  const flags = env.state === "granted"
    ? Deno.env.get("AIO_DENO_FLAGS")
    : undefined;
  if (flags !== undefined) return flags.split(" ").filter(Boolean);
  // Started by hand: resolve @std/* the way this process does.
  const compat = new URL("../compat", import.meta.url).href;
  return import.meta.resolve("@std/cli/parse-args").startsWith(compat)
    ? [`--import-map=${fileURLToPath(new URL("import_map.json", compat))}`]
    : [];
}

function denoLauncher(): Launcher {
  const flags = childDenoFlags();
  return {
    command(script, args, permissions) {
      const path = fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
      return new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, ...permissions, path, ...args],
        env: { NO_COLOR: "1" }, // Plain text: the output is indented.
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    },
  };
}

// A standalone binary has no `deno run`: it starts itself with `--step`,
// and the copy runs the script compiled into it.
function selfLauncher(): Launcher {
  return {
    command(script, args) {
      return new Deno.Command(Deno.execPath(), {
        args: ["--step", script, ...args],
        env: { NO_COLOR: "1" }, // Plain text: the output is indented.
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      });
    },
  };
}

/** What a script module offers a standalone binary to start it with. */
interface Entry {
  cli?: (args: string[]) => Promise<number>;
  main?: (args: string[]) => Promise<void>;
}

/** The scripts a standalone binary carries (literal imports, so compiled in). */
const MODULES: Record<string, () => Promise<Entry>> = {
  hello_world: () => import("./hello_world.ts"),
  say_hello: () => import("./say_hello.ts"),
  create_task: () => import("./create_task.ts"),
  say_after: () => import("./say_after.ts"),
  fetch_data_once: () => import("./fetch_data_once.ts"),
  fetch_data: () => import("./fetch_data.ts"),
  set_future: () => import("./set_future.ts"),
  echo_server: () => import("./echo_server.ts"),
  echo_client: () => import("./echo_client.ts"),
  error_handling: () => import("./error_handling.ts"),
  nested: () => import("./nested.ts"),
  display_date: () => import("./display_date.ts"),
  factorial: () => import("./factorial.ts"),
  shield: () => import("./shield.ts"),
  wait_for: () => import("./wait_for.ts"),
  to_thread: () => import("./to_thread.ts"),
  run_in_executor: () => import("./run_in_executor.ts"),
  thread_pool_executor: () => import("./thread_pool_executor.ts"),
  process_pool_executor: () => import("./process_pool_executor.ts"),
  event_loop: () => import("./event_loop.ts"),
  subprocess: () => import("./subprocess.ts"),
  signals: () => import("./signals.ts"),
  fetch: () => import("./fetch.ts"),
  http_server: () => import("./http_server.ts"),
  concurrency_comparison: () => import("./concurrency_comparison.ts"),
  std_async: () => import("./std_async.ts"),
};

/** Runs a compiled-in script in this process (a standalone binary's step). */
async function runCompiledIn(name: string, args: string[]): Promise<number> {
  const entry = await MODULES[name]?.();
  if (entry?.cli !== undefined) return await entry.cli(args);
  const main = entry?.main;
  if (main !== undefined) return await runMain(() => main(args));
  console.error(
    `error: no script "${name}" with an entry point in this binary`,
  );
  return Deno.exitCode = 2;
}

/** Whether this binary can run the step's scripts (a standalone binary). */
async function compiledIn(step: Step): Promise<boolean> {
  const names = step.name === "echo" ? ["echo_server", "echo_client"] : [
    step.name,
  ];
  for (const name of names) {
    const entry = await MODULES[name]?.();
    if (entry?.cli === undefined && entry?.main === undefined) return false;
  }
  return true;
}

/** Copies a child's output, line by line, indented; calls `onLine` for each. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  onLine?: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      println(`${prefix}${line}`);
      onLine?.(line);
    }
  }
  if (pending !== "") {
    println(`${prefix}${pending}`);
    onLine?.(pending);
  }
}

/** Hooks into a child's life, for the echo step. */
interface ChildHooks {
  /** Called once the child is started. */
  spawned?: (child: Deno.ChildProcess) => void;
  /** Called with each line the child prints to stdout. */
  line?: (line: string) => void;
}

/**
 * Runs one child to its end, its output indented. When the calling task is
 * cancelled, the child gets SIGINT and is waited for (it exits cleanly).
 */
async function runChild(
  command: Deno.Command,
  signal: AbortSignal,
  hooks: ChildHooks = {},
): Promise<number> {
  const child = command.spawn();
  hooks.spawned?.(child);
  const interrupt = (): void => stop(child);
  signal.addEventListener("abort", interrupt, { once: true });
  try {
    // Plain promises, not aio waits: the copy goes on until the child ends.
    await Promise.all([
      pump(child.stdout, "  │ ", hooks.line),
      pump(child.stderr, "  ! "),
    ]);
    return (await child.status).code;
  } finally {
    signal.removeEventListener("abort", interrupt);
  }
}

/** Sends SIGINT, the signal every script exits cleanly on. */
function stop(child: Deno.ChildProcess | undefined): void {
  try {
    child?.kill("SIGINT");
  } catch {
    // It has exited already.
  }
}

/** How long the echo server may take to print its ready line. */
const READY_TIMEOUT_MS = 10_000;

/** The echo pair: server on a free port, client against it, SIGINT. */
async function runEcho(
  launcher: Launcher,
  speedArgs: string[],
  signal: AbortSignal,
): Promise<number> {
  const permissions = ["--allow-net=127.0.0.1"];
  let server: Deno.ChildProcess | undefined;
  let port: string | undefined;
  // Settled by the ready line, or by the server's exit if it never comes.
  const ready = new Future<void>();
  return await taskGroup(async (tg) => {
    const serverDone = tg.createTask(() =>
      runChild(
        launcher.command(
          "echo_server",
          ["--port", "0", ...speedArgs],
          permissions,
        ),
        signal,
        {
          spawned: (child) => server = child,
          line: (line) => {
            const match = /^Serving on .*?(\d+)\D*$/.exec(line);
            if (port === undefined && match !== null) {
              port = match[1];
              ready.setResult();
            }
          },
        },
      )
    );
    serverDone.addDoneCallback(() => {
      if (!ready.done()) ready.setResult();
    });
    await moveOnAfter(READY_TIMEOUT_MS, () => ready);
    if (port === undefined) {
      println(
        `  ! no ready line from the echo server within ${READY_TIMEOUT_MS} ms`,
      );
      stop(server);
      await serverDone;
      return 1;
    }
    const code = await runChild(
      launcher.command(
        "echo_client",
        ["--port", port, ...speedArgs],
        permissions,
      ),
      signal,
    );
    stop(server);
    const serverCode = await serverDone;
    // 130 is the server's clean exit on SIGINT.
    return code !== 0 ? code : serverCode === 130 ? 0 : serverCode;
  });
}

async function runStep(
  step: Step,
  launcher: Launcher,
  speed: number,
  signal: AbortSignal,
): Promise<number> {
  const speedArgs = ["--speed", String(speed)];
  if (step.name === "echo") return await runEcho(launcher, speedArgs, signal);
  const command = launcher.command(
    step.name,
    [...speedArgs, ...(step.args ?? [])],
    step.permissions,
  );
  return await runChild(command, signal);
}

function printList(): void {
  const width = Math.max(...STEPS.map((step) => step.name.length));
  println("The tour, in order (name, what it shows, the asyncio call):");
  for (const [i, step] of STEPS.entries()) {
    println(
      `${String(i + 1).padStart(3)}. ${step.name.padEnd(width)}  ${step.title}`,
    );
    println(`     ${"".padEnd(width)}  mirrors ${step.mirrors}`);
  }
}

function printSummary(outcomes: Outcome[], totalMs: number): void {
  const width = Math.max(7, ...outcomes.map((o) => o.step.name.length));
  println();
  println("Summary");
  println(`  #  ${"example".padEnd(width)}  result      time`);
  for (const [i, outcome] of outcomes.entries()) {
    println(
      `${String(i + 1).padStart(3)}  ${outcome.step.name.padEnd(width)}  ${
        outcome.status.padEnd(10)
      }  ${seconds(outcome.ms).padStart(8)}`,
    );
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  println(
    `     ${"total".padEnd(width)}  ${
      (failed === 0 ? "all ok" : `${failed} failed`).padEnd(10)
    }  ${seconds(totalMs).padStart(8)}`,
  );
}

/**
 * Runs the tour.
 *
 * @param options The parsed flags.
 * @param signal Aborted to stop the tour (SIGINT).
 * @returns How each step went.
 */
export async function tour(
  options: DemoOptions,
  signal: AbortSignal,
): Promise<Outcome[]> {
  const steps = options.only.length === 0
    ? STEPS
    : STEPS.filter((step) => options.only.includes(step.name));
  const launcher = Deno.build.standalone ? selfLauncher() : denoLauncher();
  const outcomes: Outcome[] = [];
  const started = performance.now();
  println(
    `aio demo: ${steps.length} step${steps.length === 1 ? "" : "s"}` +
      (options.speed === 1 ? "" : `, sleeps scaled by ${options.speed}`),
  );
  for (const [i, step] of steps.entries()) {
    println();
    println(
      `${bar(i, steps.length)} ${
        i + 1
      }/${steps.length}  ${step.name}: ${step.title}`,
    );
    println(`  mirrors ${step.mirrors}`);
    const stepStart = performance.now();
    let outcome: Outcome;
    if (Deno.build.standalone && !(await compiledIn(step))) {
      println("  (its script exports no entry point a binary can start)");
      outcomes.push({ step, ok: true, status: "skipped", ms: 0 });
      println(`  - ${step.name}: skipped`);
      continue;
    }
    // The status line ticks while the step runs (on a terminal only).
    const ticker = setInterval(() => {
      setStatus(
        `  … ${i + 1}/${steps.length} ${step.name} ${
          seconds(performance.now() - stepStart)
        }`,
      );
    }, 100);
    try {
      const code = await runStep(step, launcher, options.speed, signal);
      outcome = {
        step,
        ok: code === 0,
        status: signal.aborted
          ? "interrupted"
          : code === 0
          ? "ok"
          : `exit ${code}`,
        ms: performance.now() - stepStart,
      };
    } catch (error) {
      if (isCancelled(error) || signal.aborted) throw error;
      outcome = {
        step,
        ok: false,
        status: "error",
        ms: performance.now() - stepStart,
      };
      println(`  ! ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearInterval(ticker);
      setStatus("");
      status = "";
    }
    outcomes.push(outcome);
    println(
      `  ${outcome.ok ? "✓" : "✗"} ${step.name}: ${outcome.status} in ${
        seconds(outcome.ms)
      }`,
    );
    if (signal.aborted) break;
  }
  println();
  println(`${bar(steps.length, steps.length)} ${steps.length}/${steps.length}`);
  printSummary(outcomes, performance.now() - started);
  return outcomes;
}

/**
 * The demo's command line.
 *
 * @param args The command-line arguments.
 * @returns The exit code: 0 when every step passed.
 */
export async function cli(args: string[]): Promise<number> {
  // In a standalone binary, a copy of the demo runs one script.
  if (args[0] === "--step") return await runCompiledIn(args[1], args.slice(2));
  let options: DemoOptions;
  try {
    options = parseDemoArgs(args);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return Deno.exitCode = 2;
  }
  if (options.help) {
    println(HELP);
    return 0;
  }
  if (options.list) {
    printList();
    return 0;
  }
  let failed = 0;
  const code = await runMain(async (signal) => {
    const outcomes = await tour(options, signal);
    failed = outcomes.filter((o) => !o.ok).length;
  });
  if (code === 0 && failed > 0) Deno.exitCode = 1;
  return Deno.exitCode;
}

if (import.meta.main) await cli(Deno.args);
