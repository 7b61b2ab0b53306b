/**
 * `runProcess(cmd, args, options)`: runs a command to its end and returns
 * its exit status and output; `CalledProcessError` when it fails. Mirrors
 * Trio's `run_process` and Python's `subprocess.run`.
 *
 * @module
 */

import { currentScope, storage } from "../_core/_scope.ts";
import { suspend } from "../_core/_trap.ts";
import { checkOptions } from "../_core/_checks.ts";
import { toBytes } from "../streams/stream_reader.ts";
import { timeout as withTimeout } from "../timeout.ts";
import {
  checkArgs,
  checkCommand,
  checkGrace,
  Child,
  ChildWait,
  cwdCheck,
  envCheck,
  type SpawnSpec,
} from "./_child.ts";

/** Options for {@linkcode runProcess}. */
export interface RunProcessOptions {
  /**
   * Throw {@linkcode CalledProcessError} when the command fails (a non-zero
   * exit code, or a signal). Default `true`.
   */
  check?: boolean;
  /**
   * Bytes or text for the command's stdin (then closed). Without it stdin
   * is empty (`"null"`), as in Trio: a command never waits on the terminal.
   */
  input?: Uint8Array | string;
  /**
   * Collect stdout and stderr (default `false`: they go to this process's
   * own). `"stdout"` merges stderr into stdout (POSIX).
   */
  capture?: boolean | "stdout";
  /** Decode the captured output as UTF-8 text. Default `false` (bytes). */
  text?: boolean;
  /**
   * Stop the command after this many milliseconds and throw `TimeoutError`
   * (`null`/`Infinity`: no limit).
   */
  timeout?: number | null;
  /** The working directory. */
  cwd?: string | URL;
  /** Environment variables to set (added to this process's, unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start from an empty environment (only `env`). */
  clearEnv?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when stopped. Default 1000. */
  killGraceMs?: number;
  /**
   * Start the command in a process group of its own (default `true`), so
   * that stopping it stops what it started too; `false` is cheaper (see
   * `SubprocessOptions.processGroup`) and signals only the command.
   */
  processGroup?: boolean;
}

/** What {@linkcode runProcess} returns. */
export interface ProcessResult<O = Uint8Array> {
  /** The exit code (128 + N when signal N ended it, as a shell reports it). */
  code: number;
  /** The signal that ended it, or `null`. */
  signal: Deno.Signal | null;
  /** What it printed on stdout, when captured; else `null`. */
  stdout: O | null;
  /** What it printed on stderr, when captured separately; else `null`. */
  stderr: O | null;
}

/**
 * A command run by {@linkcode runProcess} failed: it exited with a
 * non-zero code or was ended by a signal. Carries what it printed, when
 * that was captured.
 *
 * Mirrors Python's `subprocess.CalledProcessError`.
 *
 * @example
 * ```ts
 * import { CalledProcessError, run, runProcess } from "@seed/aio";
 * await run(async () => {
 *   try {
 *     await runProcess("sh", ["-c", "echo oops >&2; exit 3"], {
 *       capture: true,
 *       text: true,
 *     });
 *   } catch (error) {
 *     if (!(error instanceof CalledProcessError)) throw error;
 *     console.log(error.code); // 3
 *     console.log(error.stderr); // "oops\n"
 *   }
 * });
 * ```
 */
export class CalledProcessError extends Error {
  /** The command and its arguments. */
  readonly cmd: readonly string[];
  /** The exit code. */
  readonly code: number;
  /** The signal that ended it, or `null`. */
  readonly signal: Deno.Signal | null;
  /** Its stdout, when captured. */
  readonly stdout: Uint8Array | string | null;
  /** Its stderr, when captured. */
  readonly stderr: Uint8Array | string | null;

  /**
   * Creates the error.
   * @param cmd The command and its arguments.
   * @param result What it returned.
   */
  constructor(
    cmd: readonly string[],
    result: ProcessResult<Uint8Array | string>,
  ) {
    const how = result.signal !== null
      ? `was ended by ${result.signal}`
      : `exited with code ${result.code}`;
    const err = result.stderr ?? result.stdout;
    const text = typeof err === "string"
      ? err
      : err === null
      ? ""
      : new TextDecoder().decode(err.subarray(Math.max(0, err.length - 2000)));
    const last = text.trimEnd().split("\n").pop()?.trim() ?? "";
    super(
      `Command ${JSON.stringify(cmd.join(" "))} ${how}${
        last === "" ? "" : `: ${last.slice(0, 300)}`
      }`,
    );
    this.name = "CalledProcessError";
    this.cmd = cmd;
    this.code = result.code;
    this.signal = result.signal;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

const OPTION_SPEC = {
  check: "boolean",
  input: (value: unknown) =>
    typeof value === "string" || value instanceof Uint8Array
      ? undefined
      : "must be a Uint8Array or a string",
  capture: (value: unknown) =>
    typeof value === "boolean" || value === "stdout"
      ? undefined
      : 'must be a boolean or "stdout"',
  text: "boolean",
  timeout: (value: unknown) =>
    value === null || (typeof value === "number" && !Number.isNaN(value))
      ? undefined
      : "must be a number of milliseconds or null",
  cwd: cwdCheck,
  env: envCheck,
  clearEnv: "boolean",
  killGraceMs: "number",
  processGroup: "boolean",
} as const;

/**
 * Runs the program `cmd` with `args` to its end (no shell) and returns its
 * exit code, the signal that ended it, and its output when `capture` is
 * set. With `check` (the default), a non-zero exit or a signal throws
 * {@linkcode CalledProcessError} instead. Cancelling the caller (or
 * `timeout`) stops the command and all it started (SIGTERM to its process
 * group, SIGKILL after `killGraceMs`), then throws `CancelledError` (or
 * `TimeoutError`) once it has exited. Must be called inside `run()`.
 *
 * Mirrors Trio's `run_process(command, check=True, ...)` and Python's
 * `subprocess.run(args, check=True, capture_output=…, input=…, timeout=…)`.
 *
 * @param cmd The program: a name looked up on PATH, or a path.
 * @param args Its arguments.
 * @param options `check`, `input`, `capture`, `text`, `timeout`, `cwd`,
 *   `env`, `clearEnv`, `killGraceMs`.
 * @returns `{ code, signal, stdout, stderr }`.
 * @throws {CalledProcessError} If it failed and `check` is on.
 * @throws {TimeoutError} If `timeout` passed (the command was stopped).
 * @throws {Deno.errors.NotFound} If there is no such program (or `cwd`).
 * @throws {TypeError} For a bad command, argument or option.
 * @throws {InvalidStateError} Outside `run()`.
 *
 * @example
 * ```ts
 * import { run, runProcess } from "@seed/aio";
 * await run(async () => {
 *   const { code, stdout } = await runProcess("echo", ["hi"], {
 *     capture: true,
 *     text: true,
 *   });
 *   console.log(code, stdout); // 0 "hi\n"
 * });
 * ```
 */
export function runProcess(
  cmd: string | URL,
  args: string[] | undefined,
  options: RunProcessOptions & { text: true },
): Promise<ProcessResult<string>>;
/**
 * Runs `cmd` with `args` to its end; the output (when captured) as bytes.
 * @param cmd The program.
 * @param args Its arguments.
 * @param options See above.
 * @returns `{ code, signal, stdout, stderr }`.
 */
export function runProcess(
  cmd: string | URL,
  args?: string[],
  options?: RunProcessOptions,
): Promise<ProcessResult<Uint8Array>>;
export function runProcess(
  cmd: string | URL,
  args?: string[],
  options?: RunProcessOptions,
): Promise<ProcessResult<Uint8Array | string>> {
  const what = "runProcess()";
  let spec: SpawnSpec;
  let input: Uint8Array | undefined;
  try {
    checkOptions(options, OPTION_SPEC, what);
    const capture = options?.capture ?? false;
    input = options?.input === undefined
      ? undefined
      : toBytes(options.input, what);
    spec = {
      cmd: checkCommand(cmd, what),
      args: checkArgs(args, what),
      cwd: options?.cwd,
      env: options?.env,
      clearEnv: options?.clearEnv,
      stdin: input === undefined ? "null" : "piped",
      stdout: capture === false ? "inherit" : "piped",
      stderr: capture === true ? "piped" : "inherit",
      merge: capture === "stdout",
      killGraceMs: checkGrace(options?.killGraceMs, what),
      processGroup: options?.processGroup ?? true,
      what,
    };
  } catch (error) {
    return Promise.reject(error);
  }
  const ms = options?.timeout;
  const check = options?.check ?? true;
  const text = options?.text ?? false;
  const go = () => runToEnd(spec, input, check, text);
  if (ms === undefined || ms === null || ms === Infinity) return go();
  return withTimeout(ms, go);
}

async function runToEnd(
  spec: SpawnSpec,
  input: Uint8Array | undefined,
  check: boolean,
  text: boolean,
): Promise<ProcessResult<Uint8Array | string>> {
  const child = new Child(spec);
  const p = child.process;
  const captured = spec.stdout === "piped";
  // Deno collects the output natively; only the wait is a cancellation
  // point, and cancelling it stops the child.
  const work = storage.exit(async () => {
    const [, out] = await Promise.all([
      input === undefined ? undefined : feed(p.stdin, input),
      captured ? p.output() : p.status,
    ]);
    return out;
  });
  const out = await suspend(
    new ChildWait(child, work),
    currentScope(),
    "process",
    {
      pid: child.pid,
      argv: child.argv,
    },
  );
  const decode = (bytes: Uint8Array | null): Uint8Array | string | null =>
    bytes === null || !text ? bytes : new TextDecoder().decode(bytes);
  const output = captured ? out as Deno.CommandOutput : undefined;
  const result: ProcessResult<Uint8Array | string> = {
    code: out.code,
    signal: out.signal,
    stdout: output === undefined ? null : decode(output.stdout),
    stderr: output === undefined || spec.stderr !== "piped"
      ? null
      : decode(output.stderr),
  };
  if (check && (out.code !== 0 || out.signal !== null)) {
    throw new CalledProcessError(child.argv, result);
  }
  return result;
}

// Writes the input and closes stdin; a child that exits without reading it
// all is not an error (Python ignores BrokenPipeError here too).
async function feed(
  stdin: WritableStream<Uint8Array>,
  input: Uint8Array,
): Promise<void> {
  const writer = stdin.getWriter();
  try {
    if (input.length > 0) await writer.write(input);
    await writer.close();
  } catch (error) {
    if (
      !(error instanceof Deno.errors.BrokenPipe) &&
      !(error instanceof Deno.errors.ConnectionReset)
    ) {
      throw error;
    }
    await writer.abort().catch(() => {});
  }
}
