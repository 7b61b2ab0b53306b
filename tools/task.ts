/**
 * aio's task runner, behind `deno task test|check|demo|bench`.
 *
 * deno.json maps `@std/*` to JSR. Some networks reach the npm registry but
 * not JSR; there, `compat/import_map.json` maps the same specifiers to the
 * thin adapters in `compat/std/` (over `node:` built-ins and npm packages).
 * This runner decides once per run which world it is in, with a `deno cache`
 * of the JSR packages that is killed after two seconds, so that no probe can
 * hang; `AIO_STD=jsr|npm` skips the probe. It announces the choice in one
 * line, then runs every step with `Deno.execPath()`, adding
 * `--import-map=<abs path>` in fallback mode (the flag replaces deno.json's
 * imports). Children inherit `AIO_STD` (so nested runs do not probe again)
 * and `AIO_DENO_FLAGS` (space-separated flags, possibly empty) for tests
 * that spawn scripts as subprocesses.
 *
 * Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this runner are
 * passed on to the step running (which runs in a session of its own, so a
 * Ctrl-C in a terminal reaches it once, through here), and the runner exits
 * with the step's exit code; a step that ends with 130 or 143 (SIGINT,
 * SIGTERM) is reported as interrupted, not failed, and no further step runs.
 *
 * Off a terminal (CI, a pipe, a file) the output is plain and short:
 * children get `NO_COLOR=1`, the gates but fmt run with `--quiet`, the full
 * suite reports with dots (failures still in full). `NO_COLOR` set by the
 * caller is passed on everywhere.
 *
 * `demo` and `run` resolve `@std/*` without the test-only packages
 * (fast-check, fake timers): `deno.json` keeps them in `scopes` for tests/
 * and compat/, so nothing is downloaded for them outside the test suite.
 *
 * Usage: deno run -A tools/task.ts <command> [args...]
 *
 *   test [--quick] [deno test args]  the quality gates, then the test suite;
 *                                    `--quick` or AIO_SKIP_GATES=1 skips gates
 *   check                            the quality gates only
 *   demo [args]                      scripts/demo.ts
 *   bench [args]                     deno bench, then each bench/*_peer.ts
 *   run <file> [args]                deno run -A with the chosen flags
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** Where `@std/*` comes from: JSR itself, or the npm-only fallback. */
export type Mode = "jsr" | "npm";

/** One `deno` invocation: a name for messages and the arguments. */
export interface Step {
  /** What the step is called when it fails. */
  name: string;
  /** Arguments after the deno executable. */
  args: string[];
  /** Whether to echo a plain "N passed, N failed" line after it. */
  summarize?: boolean;
  /** A line printed before the step runs (what to expect from it). */
  note?: string;
}

/** What {@linkcode plan} needs to know about the working tree. */
export interface PlanContext {
  /** Extra deno flags for the chosen mode (see {@linkcode denoFlags}). */
  flags: string[];
  /** Files and folders for `deno check`. */
  checkTargets: string[];
  /** Whether mod.ts exists (for `deno doc --lint`). */
  hasMod: boolean;
  /** `bench/*_peer.ts` scripts, run after `deno bench`. */
  peers: string[];
  /** Skip the quality gates before the tests. */
  skipGates: boolean;
  /** Off a terminal: quiet gates, dots for the full suite. */
  quiet?: boolean;
}

/** The result of choosing a mode, with why. */
export interface Choice {
  /** The mode chosen. */
  mode: Mode;
  /** Why, in a few words (shown in the announcement). */
  reason: string;
}

/** How long the JSR probe may take before it is killed. */
export const PROBE_TIMEOUT_MS = 2000;

/** Folders and files type-checked by the `check` gate, when present. */
export const CHECK_CANDIDATES: readonly string[] = [
  "mod.ts",
  "lib",
  "tests",
  "scripts",
  "bench",
  "tools",
  "compat",
];

/**
 * The deno flags for a mode: the fallback import map, or nothing.
 *
 * @param mode The chosen mode.
 * @param importMap Absolute path of compat/import_map.json.
 * @returns Flags to add to `deno run|test|check|bench|doc`.
 */
export function denoFlags(mode: Mode, importMap: string): string[] {
  return mode === "npm" ? [`--import-map=${importMap}`] : [];
}

/**
 * Flags for a `deno run` child, matching the import map this run chose:
 * AIO_DENO_FLAGS when the task runner set it, otherwise compat's import map
 * exactly when this process resolves `@std/*` through it (a bare
 * `deno test --import-map …` or `deno run --import-map …`).
 *
 * @returns Flags to put before the script in `deno run`.
 */
export function childDenoFlags(): string[] {
  const flags = Deno.env.get("AIO_DENO_FLAGS");
  if (flags !== undefined) return flags.split(" ").filter(Boolean);
  const compat = new URL("../compat", import.meta.url).href;
  return import.meta.resolve("@std/cli/parse-args").startsWith(compat)
    ? [
      `--import-map=${
        fileURLToPath(new URL("../compat/import_map.json", import.meta.url))
      }`,
    ]
    : [];
}

/**
 * The JSR specifiers among deno.json's imports: what the probe fetches.
 *
 * @param imports deno.json's `imports`.
 * @returns The `jsr:` targets, deduplicated.
 */
export function jsrSpecifiers(imports: Record<string, string>): string[] {
  return [
    ...new Set(Object.values(imports).filter((t) => t.startsWith("jsr:"))),
  ];
}

/**
 * The one line that announces the mode.
 *
 * @param choice The mode and why.
 * @returns The line, without a newline.
 */
export function announce(choice: Choice): string {
  const where = choice.mode === "jsr" ? "JSR" : "the npm-only fallback";
  return `aio: @std/* from ${where} (${choice.reason})`;
}

/**
 * Reads `AIO_STD`, if it forces a mode.
 *
 * @param value The variable's value.
 * @returns The forced choice, or undefined to probe.
 */
export function forcedChoice(value: string | undefined): Choice | undefined {
  if (value === "jsr" || value === "npm") {
    return { mode: value, reason: `forced by AIO_STD=${value}` };
  }
  if (value) throw new Error(`AIO_STD must be "jsr" or "npm", not "${value}"`);
  return undefined;
}

/** The line printed before the publish dry-run, which warns by design. */
export const PUBLISH_NOTE =
  "aio: publish dry-run: one `unanalyzable-dynamic-import` warning is expected (the worker host imports the module a pool is given, by URL, at run time); it is not an error";

function gates(ctx: PlanContext): Step[] {
  const quiet = ctx.quiet ? ["--quiet"] : [];
  const steps: Step[] = [
    // Not quiet: --quiet would hide which files are not formatted.
    { name: "fmt", args: ["fmt", "--check"] },
    { name: "lint", args: ["lint", ...quiet] },
    {
      name: "check",
      args: ["check", ...quiet, ...ctx.flags, ...ctx.checkTargets],
    },
  ];
  if (ctx.hasMod) {
    steps.push(
      {
        name: "doc-lint",
        args: ["doc", "--lint", ...quiet, ...ctx.flags, "mod.ts"],
      },
      // publish takes its imports from deno.json alone; the published files
      // import nothing from @std, so this passes without JSR too.
      {
        name: "publish",
        args: ["publish", "--dry-run", "--allow-dirty", ...quiet],
        note: PUBLISH_NOTE,
      },
    );
  }
  return steps;
}

/**
 * Whether test arguments name files or folders to test (else the whole
 * suite runs: every test file, README.md and docs/*.md).
 */
function namesFiles(args: string[]): boolean {
  return args.some((arg) => !arg.startsWith("-"));
}

/**
 * The deno invocations for a command, in order.
 *
 * @param command test, check, demo, bench or run.
 * @param args The command's own arguments.
 * @param ctx Flags and what the tree holds.
 * @returns The steps; the run stops at the first that fails.
 */
export function plan(
  command: string,
  args: string[],
  ctx: PlanContext,
): Step[] {
  switch (command) {
    case "test": {
      const quick = args.includes("--quick");
      const rest = args.filter((a) => a !== "--quick");
      // The whole suite, off a terminal: dots, failures in full.
      const dots = ctx.quiet && !namesFiles(rest) &&
          !rest.some((a) => a.startsWith("--reporter"))
        ? ["--reporter=dot"]
        : [];
      const suite: Step = {
        name: "test",
        args: [
          "test",
          "-A",
          "--sanitize-ops",
          "--sanitize-resources",
          "--doc",
          "--parallel",
          ...dots,
          ...ctx.flags,
          ...rest,
        ],
        summarize: true,
      };
      return quick || ctx.skipGates ? [suite] : [...gates(ctx), suite];
    }
    case "check":
      return gates(ctx);
    case "demo":
      return [{
        name: "demo",
        args: ["run", "-A", ...ctx.flags, "scripts/demo.ts", ...args],
      }];
    case "bench":
      return [
        {
          name: "bench",
          args: ["bench", "-A", "--permit-no-files", ...ctx.flags, ...args],
        },
        ...ctx.peers.map((peer) => ({
          name: peer,
          args: ["run", "-A", ...ctx.flags, peer],
        })),
      ];
    case "run":
      if (args.length === 0) throw new Error("run needs a file to run");
      return [{ name: args[0], args: ["run", "-A", ...ctx.flags, ...args] }];
    default:
      throw new Error(`unknown command "${command}"`);
  }
}

/**
 * Finds deno test's closing counts in its output.
 *
 * @param output What deno test printed (colors allowed).
 * @returns A plain "N passed, N failed[, N skipped]" line, or undefined.
 */
export function testSummary(output: string): string | undefined {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, "");
  const matches = [
    ...text.matchAll(
      /(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/g,
    ),
  ];
  const last = matches.at(-1);
  if (!last) return undefined;
  const skipped = last[3] && last[3] !== "0" ? `, ${last[3]} skipped` : "";
  return `${last[1]} passed, ${last[2]} failed${skipped}`;
}

/**
 * Whether JSR answers: `deno cache` of the given specifiers must succeed
 * within `timeoutMs`, or the probe is killed and counted as a no.
 *
 * @param specifiers The `jsr:` specifiers to fetch.
 * @param timeoutMs The time limit.
 * @param deno The deno executable (a stand-in in tests).
 * @returns The mode and why.
 */
export async function probeJsr(
  specifiers: string[],
  timeoutMs: number = PROBE_TIMEOUT_MS,
  deno: string = Deno.execPath(),
): Promise<Choice> {
  if (specifiers.length === 0) return { mode: "jsr", reason: "no JSR imports" };
  const child = new Deno.Command(deno, {
    args: ["cache", "--quiet", "--no-config", ...specifiers],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = killAfter(child, timeoutMs);
  try {
    const status = await child.status;
    if (deadline.fired) {
      return {
        mode: "npm",
        reason: `JSR probe timed out after ${timeoutMs} ms`,
      };
    }
    return status.success
      ? { mode: "jsr", reason: "JSR reachable" }
      : { mode: "npm", reason: "JSR unreachable" };
  } finally {
    deadline.clear();
  }
}

/** A SIGKILL scheduled for a child process; see {@linkcode killAfter}. */
export interface KillTimer {
  /** Whether the kill fired. */
  readonly fired: boolean;
  /** Cancels the kill (call it once the child has exited). */
  clear(): void;
}

/** Kills `child` with SIGKILL after `ms` unless cleared first: no step may hang. */
export function killAfter(child: Deno.ChildProcess, ms: number): KillTimer {
  const state = { fired: false, clear: () => clearTimeout(timer) };
  const timer = setTimeout(() => {
    state.fired = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // It exited in the meantime.
    }
  }, ms);
  return state;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function hasTypeScript(path: string): Promise<boolean> {
  const info = await Deno.stat(path);
  if (info.isFile) return true;
  for await (const entry of Deno.readDir(path)) {
    if (entry.isFile && /\.(ts|tsx|mts)$/.test(entry.name)) return true;
    if (entry.isDirectory && await hasTypeScript(`${path}/${entry.name}`)) {
      return true;
    }
  }
  return false;
}

async function context(
  flags: string[],
  skipGates: boolean,
  quiet: boolean,
): Promise<PlanContext> {
  const checkTargets: string[] = [];
  for (const target of CHECK_CANDIDATES) {
    // deno check fails on a folder holding no modules yet.
    if (await exists(target) && await hasTypeScript(target)) {
      checkTargets.push(target);
    }
  }
  const peers: string[] = [];
  if (await exists("bench")) {
    for await (const entry of Deno.readDir("bench")) {
      if (entry.isFile && entry.name.endsWith("_peer.ts")) {
        peers.push(`bench/${entry.name}`);
      }
    }
  }
  peers.sort();
  return {
    flags,
    checkTargets,
    hasMod: await exists("mod.ts"),
    peers,
    skipGates,
    quiet,
  };
}

/** The signals passed on to the running step. */
export const FORWARDED_SIGNALS: readonly Deno.Signal[] = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
];

/** Signals after which no further step runs (SIGQUIT only asks for a report). */
const STOPPING: ReadonlySet<Deno.Signal> = new Set([
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
]);

/** The same signal again within this many ms is the same event, delivered twice. */
const SAME_SIGNAL_MS = 250;

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

/**
 * Passes signals on to the child running, once each: the runner itself
 * stays alive to wait for the child and report its exit code.
 */
class Forwarder {
  child: Deno.ChildProcess | undefined;
  /** The first stopping signal received, if any. */
  stopped: Deno.Signal | undefined;
  #listeners: [Deno.Signal, () => void][] = [];
  #last = new Map<Deno.Signal, number>();

  install(): void {
    if (Deno.build.os === "windows") return;
    for (const signal of FORWARDED_SIGNALS) {
      const listener = (): void => {
        if (STOPPING.has(signal)) this.stopped ??= signal;
        // A terminal's Ctrl-C reaches this runner twice: from the terminal
        // and passed on by `deno task` above it. Pass one on; a second
        // Ctrl-C a person types (which forces a script out) comes later.
        const now = performance.now();
        if (now - (this.#last.get(signal) ?? -Infinity) < SAME_SIGNAL_MS) {
          return;
        }
        this.#last.set(signal, now);
        try {
          this.child?.kill(signal);
        } catch {
          // It has exited already.
        }
      };
      Deno.addSignalListener(signal, listener);
      this.#listeners.push([signal, listener]);
    }
  }

  uninstall(): void {
    for (const [signal, listener] of this.#listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#listeners = [];
  }
}

/**
 * How a step's exit code reads: 0 ok; 130 and 143 (SIGINT, SIGTERM), and
 * any code after a stopping signal, interrupted; anything else failed.
 *
 * @param code The step's exit code.
 * @param signalled Whether the runner passed a stopping signal on.
 * @returns "ok", "interrupted" or "failed".
 */
export function outcome(
  code: number,
  signalled = false,
): "ok" | "interrupted" | "failed" {
  if (code === 0) return "ok";
  return code === 130 || code === 143 || signalled ? "interrupted" : "failed";
}

/**
 * Off a terminal, deno's dot reporter puts each dot on a line of its own;
 * this joins them into rows of 80. Other lines pass through unchanged.
 */
export class DotRows {
  #pending = "";
  #row = 0;

  /**
   * Takes the next piece of output.
   *
   * @param text Output as it arrives (any chunking).
   * @returns What to write now.
   */
  push(text: string): string {
    this.#pending += text;
    let out = "";
    let end;
    while ((end = this.#pending.indexOf("\n")) >= 0) {
      const line = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 1);
      if (/^[.!,]$/.test(line)) {
        out += line;
        if (++this.#row === 80) {
          out += "\n";
          this.#row = 0;
        }
        continue;
      }
      if (this.#row > 0) out += "\n";
      this.#row = 0;
      out += `${line}\n`;
    }
    return out;
  }

  /**
   * Ends the output.
   *
   * @returns What is left to write.
   */
  end(): string {
    const out = (this.#row > 0 ? "\n" : "") + this.#pending;
    this.#pending = "";
    this.#row = 0;
    return out;
  }
}

async function runStep(step: Step, forwarder: Forwarder): Promise<number> {
  if (step.note) console.error(step.note);
  // Piped only off a terminal (CI): there the closing counts are repeated
  // as a plain line; on a terminal deno keeps its colors and layout.
  const pipe = step.summarize && !Deno.stdout.isTerminal();
  const child = new Deno.Command(Deno.execPath(), {
    args: step.args,
    stdin: "inherit",
    stdout: pipe ? "piped" : "inherit",
    stderr: "inherit",
    // A session of its own: a terminal's Ctrl-C reaches the runner only,
    // which passes it on once (twice would force a script's exit).
    detached: Deno.build.os !== "windows",
  }).spawn();
  forwarder.child = child;
  try {
    let tail = "";
    if (pipe) {
      const decoder = new TextDecoder();
      const encoder = new TextEncoder();
      const dots = new DotRows();
      for await (const chunk of child.stdout) {
        const text = decoder.decode(chunk, { stream: true });
        await Deno.stdout.write(encoder.encode(dots.push(text)));
        tail = (tail + text).slice(-4096);
      }
      await Deno.stdout.write(encoder.encode(dots.end()));
    }
    const { code } = await child.status;
    const summary = pipe ? testSummary(tail) : undefined;
    if (summary) console.log(`${step.name}: ${summary}`);
    return code;
  } finally {
    forwarder.child = undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "help" || command === "--help") {
    console.log(
      "usage: deno run -A tools/task.ts <test|check|demo|bench|run> [args...]",
    );
    return command ? 0 : 2;
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  Deno.chdir(root);
  const config: { imports?: Record<string, string> } = JSON.parse(
    await Deno.readTextFile("deno.json"),
  );
  let forced: Choice | undefined;
  try {
    forced = forcedChoice(Deno.env.get("AIO_STD"));
  } catch (error) {
    console.error(`aio: ${(error as Error).message}`);
    return 2;
  }
  // Off a terminal: no colours anywhere (children inherit NO_COLOR).
  const quiet = !Deno.stdout.isTerminal();
  if (quiet) Deno.env.set("NO_COLOR", "1");
  const forwarder = new Forwarder();
  forwarder.install();
  try {
    return await runAll(command, args, config, forced, forwarder, quiet);
  } finally {
    forwarder.uninstall();
  }
}

async function runAll(
  command: string,
  args: string[],
  config: { imports?: Record<string, string> },
  forced: Choice | undefined,
  forwarder: Forwarder,
  quiet: boolean,
): Promise<number> {
  const choice = forced ?? await probeJsr(jsrSpecifiers(config.imports ?? {}));
  if (forwarder.stopped) return 128 + SIGNAL_NUMBERS[forwarder.stopped];
  console.error(announce(choice));

  const importMap = fileURLToPath(
    new URL("../compat/import_map.json", import.meta.url),
  );
  const flags = denoFlags(choice.mode, importMap);
  Deno.env.set("AIO_STD", choice.mode);
  Deno.env.set("AIO_DENO_FLAGS", flags.join(" "));

  const skipGates = Deno.env.get("AIO_SKIP_GATES") === "1";
  let steps: Step[];
  try {
    steps = plan(command, args, await context(flags, skipGates, quiet));
  } catch (error) {
    console.error(`aio: ${(error as Error).message}`);
    return 2;
  }
  for (const step of steps) {
    const code = await runStep(step, forwarder);
    const signalled = forwarder.stopped !== undefined;
    const result = outcome(code, signalled);
    if (result !== "ok") {
      console.error(`aio: ${step.name} ${result} (exit code ${code})`);
      return code;
    }
    if (signalled) return 128 + SIGNAL_NUMBERS[forwarder.stopped!];
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
