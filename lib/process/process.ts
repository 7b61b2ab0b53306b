/**
 * `Process`: a running child process, made by `createSubprocessExec` or
 * `createSubprocessShell`, with its pipes as aio streams. Mirrors
 * `asyncio.subprocess.Process`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { currentScope, storage } from "../_core/_scope.ts";
import { suspend } from "../_core/_trap.ts";
import { checkSignal } from "../_core/_signals.ts";
import { checkOptions, show } from "../_core/_checks.ts";
import type { StreamReader } from "../streams/stream_reader.ts";
import type { StreamWriter } from "../streams/stream_writer.ts";
import {
  checkArgs,
  checkCommand,
  checkGrace,
  Child,
  ChildWait,
  cwdCheck,
  envCheck,
  type SpawnSpec,
  stdioCheck,
} from "./_child.ts";
import { pipeReader, type PipeSource, pipeWriter } from "./_pipes.ts";

/**
 * Where a child's stdin, stdout or stderr goes: `"piped"` (a stream of
 * this process), `"inherit"` (this process's own) or `"null"` (nowhere).
 * Mirrors `asyncio.subprocess.PIPE` / `None` / `DEVNULL`.
 */
export type StdioOption = "piped" | "inherit" | "null";

/** Options for {@linkcode createSubprocessExec} and `createSubprocessShell`. */
export interface SubprocessOptions {
  /** The working directory (default: this process's). */
  cwd?: string | URL;
  /** Environment variables to set (added to this process's, unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start from an empty environment (only `env`). */
  clearEnv?: boolean;
  /** Default `"inherit"`; `"piped"` makes `process.stdin` a `StreamWriter`. */
  stdin?: StdioOption;
  /** Default `"inherit"`; `"piped"` makes `process.stdout` a `StreamReader`. */
  stdout?: StdioOption;
  /**
   * Default `"inherit"`; `"piped"` makes `process.stderr` a `StreamReader`;
   * `"stdout"` sends it into stdout's pipe (asyncio's `STDOUT`; through
   * `/bin/sh`, so POSIX only).
   */
  stderr?: StdioOption | "stdout";
  /**
   * How long a child gets between SIGTERM and SIGKILL when it is stopped
   * (cancelled, or its run ends), in milliseconds. Default 1000.
   */
  killGraceMs?: number;
  /**
   * Start the child in a session and process group of its own (default
   * `true`), so that stopping it also stops the commands it started. With
   * `false` the child stays in this process's group: signals reach only
   * the child, and a terminal's Ctrl-C reaches it directly. A group of its
   * own costs more to start (through `setsid`, or Deno's `detached`, which
   * forks): `false` is for fanning out many short commands that start
   * nothing themselves. Signalling a group needs `--allow-run` without a
   * list (`Deno.kill`); with a list, signals reach only the child.
   */
  processGroup?: boolean;
  /** The `limit` of the stdout/stderr readers (default 64 KiB). */
  limit?: number;
}

/** What {@linkcode Process.communicate} collected. */
export interface CommunicateResult {
  /** All of stdout, or `null` when it was not piped. */
  stdout: Uint8Array | null;
  /** All of stderr, or `null` when it was not piped. */
  stderr: Uint8Array | null;
}

const OPTION_SPEC = {
  cwd: cwdCheck,
  env: envCheck,
  clearEnv: "boolean",
  stdin: stdioCheck(false),
  stdout: stdioCheck(false),
  stderr: stdioCheck(true),
  killGraceMs: "number",
  processGroup: "boolean",
  limit: "number",
} as const;

/** @internal Checks the options and builds what to spawn. */
export function subprocessSpec(
  cmd: unknown,
  args: unknown,
  options: SubprocessOptions | undefined,
  what: string,
): SpawnSpec {
  const command = checkCommand(cmd, what);
  const list = checkArgs(args, what);
  checkOptions(options, OPTION_SPEC, what);
  const stderr = options?.stderr ?? "inherit";
  const merge = stderr === "stdout";
  const stdout = options?.stdout ?? "inherit";
  if (merge && stdout !== "piped") {
    throw new TypeError(
      `${what}: stderr "stdout" needs stdout "piped", got ${show(stdout)}`,
    );
  }
  if (options?.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit <= 0) {
      throw new RangeError(
        `${what}: limit must be a positive integer, got ${options.limit}`,
      );
    }
  }
  return {
    cmd: command,
    args: list,
    cwd: options?.cwd,
    env: options?.env,
    clearEnv: options?.clearEnv,
    stdin: options?.stdin ?? "inherit",
    stdout,
    stderr: merge ? "inherit" : stderr as StdioOption,
    merge,
    killGraceMs: checkGrace(options?.killGraceMs, what),
    processGroup: options?.processGroup ?? true,
    limit: options?.limit,
    what,
  };
}

/**
 * A child process started by `createSubprocessExec` or
 * `createSubprocessShell`. Its piped `stdin` is a `StreamWriter` and its
 * piped `stdout`/`stderr` are `StreamReader`s (`readline`, `readexactly`,
 * `for await` over lines).
 *
 * It belongs to the scope it was started in: cancelling that scope, or a
 * task waiting in `wait()`/`communicate()`, stops it (SIGTERM to its
 * process group, SIGKILL after `killGraceMs`), and the wait throws
 * `CancelledError` only once it has exited. No process outlives its
 * `run()`. `await using` stops it (if still running) and closes its pipes
 * when the block ends.
 *
 * Mirrors `asyncio.subprocess.Process`.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, run } from "@seed/aio";
 * await run(async () => {
 *   await using proc = await createSubprocessExec("sh", ["-c", "echo one; echo two"], {
 *     stdout: "piped",
 *   });
 *   for await (const line of proc.stdout!) {
 *     console.log(new TextDecoder().decode(line).trimEnd()); // "one", then "two"
 *   }
 *   console.log(await proc.wait()); // 0
 * });
 * ```
 */
export class Process {
  /** The child's stdin when piped, else `null`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout when piped, else `null`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr when piped, else `null`. */
  readonly stderr: StreamReader | null;
  readonly #child: Child;
  readonly #sources: PipeSource[] = [];
  #communicating = false;

  /**
   * @internal Made by `createSubprocessExec` and `createSubprocessShell`.
   * @param spec What to start (checked).
   */
  constructor(spec: SpawnSpec) {
    const child = new Child(spec);
    this.#child = child;
    const p = child.process;
    const limit = spec.limit;
    this.stdin = spec.stdin === "piped" ? pipeWriter(p.stdin) : null;
    this.stdout = spec.stdout === "piped"
      ? this.#reader(p.stdout, limit)
      : null;
    this.stderr = spec.stderr === "piped" && !spec.merge
      ? this.#reader(p.stderr, limit)
      : null;
    child.onRunEnd = () => this.#closePipes();
  }

  #reader(
    stream: ReadableStream<Uint8Array>,
    limit: number | undefined,
  ): StreamReader {
    const { reader, source } = pipeReader(stream, limit);
    this.#sources.push(source);
    return reader;
  }

  /** The child's process id (also its process group's id). */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * The exit code once the child has exited, else `null`: `-N` if signal N
   * ended it (as in asyncio: -15 for SIGTERM).
   */
  get returncode(): number | null {
    return this.#child.returncode;
  }

  /**
   * Waits for the child to exit. A cancellation point: cancelled, it stops
   * the child (SIGTERM to its group, SIGKILL after `killGraceMs`) and
   * throws `CancelledError` once the child has exited.
   *
   * Mirrors `Process.wait()`.
   *
   * @returns The return code (see `returncode`).
   * @throws {CancelledError} If cancelled (the child has been stopped).
   *
   * @example
   * ```ts
   * import { createSubprocessExec, run } from "@seed/aio";
   * await run(async () => {
   *   const proc = await createSubprocessExec("sh", ["-c", "exit 3"]);
   *   console.log(await proc.wait()); // 3
   * });
   * ```
   */
  wait(): Promise<number> {
    const child = this.#child;
    const work = child.exited.then(() => child.returncode!);
    return suspend(new ChildWait(child, work), currentScope(), "process", {
      pid: child.pid,
      argv: child.argv,
    });
  }

  /**
   * Sends `input` (if given) to stdin and closes it, reads stdout and
   * stderr to their end, and waits for the child to exit. A cancellation
   * point, like `wait()`.
   *
   * Mirrors `Process.communicate(input=None)`.
   *
   * @param input Bytes or text for stdin (stdin must be piped).
   * @returns All of stdout and stderr (`null` for a pipe not piped).
   * @throws {TypeError} If `input` is not a Uint8Array or string.
   * @throws {InvalidStateError} If `input` is given but stdin is not piped
   *   or was already closed, or `communicate()` is already running.
   * @throws {CancelledError} If cancelled (the child has been stopped).
   *
   * @example
   * ```ts
   * import { createSubprocessExec, run } from "@seed/aio";
   * await run(async () => {
   *   const proc = await createSubprocessExec("tr", ["a-z", "A-Z"], {
   *     stdin: "piped",
   *     stdout: "piped",
   *   });
   *   const { stdout } = await proc.communicate("hello\n");
   *   console.log(new TextDecoder().decode(stdout!)); // "HELLO\n"
   * });
   * ```
   */
  communicate(input?: Uint8Array | string): Promise<CommunicateResult> {
    if (
      input !== undefined && typeof input !== "string" &&
      !(input instanceof Uint8Array)
    ) {
      return Promise.reject(
        new TypeError(
          `communicate(): input must be a Uint8Array or a string, got ${
            show(input)
          }`,
        ),
      );
    }
    const stdin = this.stdin;
    if (input !== undefined && stdin === null) {
      return Promise.reject(
        new InvalidStateError(
          'Cannot communicate: input given but stdin is not "piped"',
        ),
      );
    }
    if (input !== undefined && stdin!.isClosing()) {
      return Promise.reject(
        new InvalidStateError(
          "Cannot communicate: stdin was already closed, so input cannot be sent",
        ),
      );
    }
    if (this.#communicating) {
      return Promise.reject(
        new InvalidStateError(
          "Cannot communicate: communicate() is already running",
        ),
      );
    }
    this.#communicating = true;
    const child = this.#child;
    // The pipes are worked outside any scope: only the wait below is a
    // cancellation point, and cancelling it stops the child.
    const work = storage.exit(() =>
      Promise.all([
        feed(stdin, input),
        this.stdout?.read(-1) ?? null,
        this.stderr?.read(-1) ?? null,
        child.exited,
      ])
    ).then(([, stdout, stderr]) => ({ stdout, stderr }));
    work.then(this.#communicated, this.#communicated);
    return suspend(new ChildWait(child, work), currentScope(), "process", {
      pid: child.pid,
      argv: child.argv,
    });
  }

  /**
   * Sends `sig` to the child's process group (the child and the
   * descendants that stayed in its group). Does nothing once the child has
   * exited.
   *
   * Mirrors `Process.send_signal(signal)`.
   *
   * @param sig The signal's name, e.g. `"SIGHUP"`.
   * @throws {TypeError} If `sig` is not a signal name.
   *
   * @example
   * ```ts
   * import { createSubprocessExec, run } from "@seed/aio";
   * await run(async () => {
   *   const proc = await createSubprocessExec("sleep", ["10"]);
   *   proc.sendSignal("SIGINT");
   *   console.log(await proc.wait()); // -2
   * });
   * ```
   */
  sendSignal(sig: Deno.Signal): void {
    checkSignal(sig, "Process.sendSignal()");
    this.#child.signal(sig);
  }

  /**
   * Sends SIGTERM (see `sendSignal`). Mirrors `Process.terminate()`.
   *
   * @example
   * ```ts
   * import { createSubprocessExec, run } from "@seed/aio";
   * await run(async () => {
   *   const proc = await createSubprocessExec("sleep", ["10"]);
   *   proc.terminate();
   *   console.log(await proc.wait()); // -15
   * });
   * ```
   */
  terminate(): void {
    this.#child.signal("SIGTERM");
  }

  /**
   * Sends SIGKILL (see `sendSignal`). Mirrors `Process.kill()`.
   *
   * @example
   * ```ts
   * import { createSubprocessExec, run } from "@seed/aio";
   * await run(async () => {
   *   const proc = await createSubprocessExec("sleep", ["10"]);
   *   proc.kill();
   *   console.log(await proc.wait()); // -9
   * });
   * ```
   */
  kill(): void {
    this.#child.signal("SIGKILL");
  }

  /**
   * Closes stdin, stops the child if it is still running (SIGTERM, then
   * SIGKILL after `killGraceMs`), waits until it has exited, and releases
   * its pipes. Call `wait()` first to let it finish on its own.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stdin?.close();
    const child = this.#child;
    child.stop();
    // Not a cancellation point: the child is being stopped, and is reaped
    // before the block is left.
    await suspend(
      new ChildWait(child, child.exited),
      undefined,
      "process",
    );
    this.#closePipes();
  }

  readonly #communicated = (): void => {
    this.#communicating = false;
  };

  #closePipes(): void {
    this.stdin?._abort();
    for (const source of this.#sources) source.close();
  }
}

// Writes the input (if any) and closes stdin; a child that exits without
// reading all of it is not an error (asyncio ignores BrokenPipeError here).
async function feed(
  stdin: StreamWriter | null,
  input: Uint8Array | string | undefined,
): Promise<void> {
  if (stdin === null || stdin.isClosing()) return;
  try {
    if (input !== undefined && input.length > 0) {
      stdin.write(input);
      await stdin.drain();
    }
  } catch (error) {
    if (
      !(error instanceof Deno.errors.BrokenPipe) &&
      !(error instanceof Deno.errors.ConnectionReset)
    ) {
      throw error;
    }
  }
  stdin.close();
  await stdin.waitClosed();
}
