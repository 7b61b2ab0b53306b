// The life of one child process, shared by `Process` and `runProcess`:
// spawning it in a process group of its own, tying it to the scope it was
// started in and to its run, stopping it (SIGTERM to the group, SIGKILL
// after the grace period), and forwarding a terminal's Ctrl-C to it.
//
// Every child starts in a new session (`Deno.Command`'s `detached: true`
// calls setsid), so its pid is also its process group's id and
// `Deno.kill(-pid, sig)` reaches the shell's background children too. The
// price: the group is no longer in the terminal's foreground group, so
// Ctrl-C no longer reaches it by itself; aio forwards SIGINT to every live
// child's group instead (below).

import { InvalidStateError } from "../errors.ts";
import { currentScope } from "../_core/_scope.ts";
import { Wait } from "../_core/_trap.ts";
import type { CancelledError } from "../errors.ts";
import { RunVar } from "../_core/_run_var.ts";
import { checkDelay, show } from "../_core/_checks.ts";
import { listening, signalNumber } from "../_core/_signals.ts";
import { type EventLoop, getRunningLoop } from "../event_loop.ts";

/** What a child's stdin, stdout or stderr is connected to (Deno's words). */
export type Stdio = "piped" | "inherit" | "null";

/** The default grace period between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 1000;

/** What to start. */
export interface SpawnSpec {
  cmd: string;
  args: string[];
  cwd?: string | URL;
  env?: Record<string, string>;
  clearEnv?: boolean;
  stdin: Stdio;
  stdout: Stdio;
  stderr: Stdio;
  /** stderr goes to stdout's pipe (through `sh`). */
  merge: boolean;
  killGraceMs: number;
  /** Start it in a session and process group of its own (default). */
  processGroup: boolean;
  /** The `limit` of the output readers. */
  limit?: number;
  /** The public function's name, for messages. */
  what: string;
}

const isWindows = Deno.build.os === "windows";

/** A started child process, registered with its scope and its run. */
export class Child {
  readonly process: Deno.ChildProcess;
  readonly pid: number;
  readonly loop: EventLoop;
  readonly graceMs: number;
  /** Whether the child leads a process group of its own (signals reach it all). */
  readonly group: boolean;
  /** The command line, for messages. */
  readonly argv: readonly string[];
  /** Set once the child has exited (and been reaped). */
  status: Deno.CommandStatus | undefined = undefined;
  /** Settles when the child has exited; never rejects. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Called when the run ends, after the child exited (closes its pipes). */
  onRunEnd: (() => void) | undefined = undefined;
  #stopping = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  #unhook: (() => void) | undefined;

  constructor(spec: SpawnSpec) {
    const loop = getRunningLoop();
    const scope = currentScope();
    if (scope?.cancelled) throw scope.deliver();
    let cmd = spec.cmd;
    let args = spec.args;
    if (spec.merge) {
      if (isWindows) {
        throw new TypeError(
          `${spec.what}: stderr "stdout" needs a POSIX shell (not on Windows)`,
        );
      }
      // The same pipe for both: the shell points fd 2 at fd 1, then
      // replaces itself with the command (same pid, same group).
      args = ["-c", 'exec "$@" 2>&1', "sh", cmd, ...args];
      cmd = "/bin/sh";
    }
    let process: Deno.ChildProcess;
    let detached = spec.processGroup && !isWindows;
    if (detached && spec.env?.PATH === undefined && !spec.clearEnv) {
      // The fast way to a session of its own (see fastSetsid).
      const setsid = fastSetsid();
      const resolved = setsid === undefined ? undefined : resolve(cmd);
      if (resolved !== undefined) {
        args = [resolved, ...args];
        cmd = setsid!;
        detached = false;
      }
    }
    try {
      process = new Deno.Command(cmd, {
        args,
        cwd: spec.cwd,
        env: spec.env,
        clearEnv: spec.clearEnv,
        stdin: spec.stdin,
        stdout: spec.stdout,
        stderr: spec.merge ? "inherit" : spec.stderr,
        detached,
      }).spawn();
    } catch (error) {
      throw spawnError(error, spec);
    }
    this.process = process;
    this.pid = process.pid;
    this.loop = loop;
    this.graceMs = spec.killGraceMs;
    this.group = spec.processGroup && !isWindows;
    this.argv = [spec.cmd, ...spec.args];
    this.exited = process.status.then((status) => {
      this.status = status;
      this.#exit();
      return status;
    });
    if (scope !== undefined) this.#unhook = scope.onCancel(() => this.stop());
    register(this);
  }

  /** The exit code asyncio would report: the code, or -N for signal N. */
  get returncode(): number | null {
    const status = this.status;
    if (status === undefined) return null;
    return status.signal !== null ? -signalNumber(status.signal) : status.code;
  }

  /**
   * Sends `sig` to the child's process group (the child and the
   * descendants that stayed in it); false once the child has exited.
   */
  signal(sig: Deno.Signal): boolean {
    if (this.status !== undefined) return false;
    if (this.group) {
      try {
        Deno.kill(-this.pid, sig);
        return true;
      } catch {
        // No such group yet: `setsid` has not made it (it has started
        // nothing either), or the child has just exited.
      }
    }
    try {
      this.process.kill(sig);
      return true;
    } catch {
      // Exited meanwhile: nothing left to signal.
      return false;
    }
  }

  /**
   * Ends the child: SIGTERM to its group now, SIGKILL after the grace
   * period if it is still running. Idempotent; `exited` tells when it is
   * over.
   */
  stop(): void {
    if (this.#stopping || this.status !== undefined) return;
    this.#stopping = true;
    if (!this.signal("SIGTERM") || this.status !== undefined) return;
    this.#killTimer = setTimeout(() => {
      this.#killTimer = undefined;
      this.signal("SIGKILL");
    }, Math.max(0, this.graceMs));
  }

  #exit(): void {
    this.#unhook?.();
    this.#unhook = undefined;
    forget(this);
    if (this.#killTimer !== undefined) {
      clearTimeout(this.#killTimer);
      this.#killTimer = undefined;
    }
    // Stopped, and the leader is gone: whatever it left in its group goes
    // too (the group id cannot be reused while any member lives).
    if (this.#stopping && this.group) {
      try {
        Deno.kill(-this.pid, "SIGKILL");
      } catch {
        // The group is empty.
      }
    }
  }
}

// ---- starting a child in a session of its own -------------------------------
//
// `detached: true` makes Deno call setsid() in a pre-exec hook, and Rust's
// Command then forks the whole Deno process instead of using posix_spawn:
// copying a V8 process's page tables costs 3-6x the spawn itself when many
// children start at once (bench/README.md). util-linux's `setsid PROGRAM`
// does the same setsid() in a child that posix_spawn started cheaply, then
// execs the program (same pid). It is used when it is allowed to run and
// the program resolves to an executable file on PATH (so that a missing
// program is still Deno's NotFound, never setsid's exit code 127);
// otherwise aio falls back to `detached: true`.

let setsidPath: string | null | undefined;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function fastSetsid(): string | undefined {
  if (setsidPath === undefined) {
    setsidPath = null;
    if (
      Deno.build.os === "linux" && granted({ name: "env", variable: "PATH" })
    ) {
      const path = resolve("setsid");
      if (path !== undefined && granted({ name: "run", command: path })) {
        setsidPath = path;
      }
    }
  }
  return setsidPath ?? undefined;
}

// The executable file `cmd` names: an absolute path as is, a bare name
// looked up on PATH; undefined when unsure (then Deno decides).
function resolve(cmd: string): string | undefined {
  if (cmd.includes("/")) {
    return cmd.startsWith("/") && executable(cmd) ? cmd : undefined;
  }
  const path = Deno.env.get("PATH");
  if (path === undefined) return undefined;
  const dirs = path.split(":");
  // A relative entry depends on the working directory: let Deno decide.
  if (dirs.some((dir) => !dir.startsWith("/"))) return undefined;
  for (const dir of dirs) {
    const candidate = `${dir}/${cmd}`;
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  if (!granted({ name: "read", path })) return false;
  try {
    const info = Deno.statSync(path);
    return info.isFile && info.mode !== null && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function spawnError(error: unknown, spec: SpawnSpec): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const name = JSON.stringify(spec.cmd);
  if (error instanceof Deno.errors.NotFound) {
    const why = /cwd/.test(message)
      ? `no such working directory ${show(String(spec.cwd))}`
      : "no such executable (is it on PATH?)";
    return new Deno.errors.NotFound(
      `${spec.what}: cannot run ${name}: ${why}`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new Deno.errors.PermissionDenied(
      `${spec.what}: cannot run ${name}: ${message}`,
      { cause: error },
    );
  }
  if (error instanceof TypeError) {
    return new TypeError(`${spec.what}: cannot run ${name}: ${message}`, {
      cause: error,
    });
  }
  return error;
}

// ---- a wait on a child -------------------------------------------------------

/**
 * Waits for `work` (which ends with the child); cancelled, it stops the
 * child and fails only once the child has exited, so no wait on a process
 * returns while the process still runs.
 */
export class ChildWait<T> extends Wait<T> {
  #cancelling = false;

  constructor(readonly child: Child, work: Promise<T>) {
    super();
    // Listened to at once: a wait cancelled before it was armed must not
    // leave the work's rejection unhandled.
    work.then(
      (value) => {
        if (!this.#cancelling) this.wake(value);
      },
      (error) => {
        if (!this.#cancelling) this.fail(error);
      },
    );
  }

  override cancel(error: CancelledError): void {
    if (this.#cancelling || this.settled) return;
    this.#cancelling = true;
    this.child.stop();
    this.child.exited.then(() => this.fail(error));
  }
}

// ---- per-run registry --------------------------------------------------------

const children = new RunVar<Set<Child>>(() => new Set());

function register(child: Child): void {
  const loop = child.loop;
  let set = children.peek(loop);
  if (set === undefined) {
    set = children.get(loop);
    const mine = set;
    // No process outlives run(): the ones still running are stopped, and
    // run() returns once every one has exited and its pipes are closed.
    loop._addCleanup(async () => {
      const all = [...mine];
      for (const c of all) c.stop();
      await Promise.all(all.map((c) => c.exited));
      mine.clear();
      children.delete(loop);
      for (const c of all) c.onRunEnd?.();
    });
  }
  set.add(child);
  // Only a child in a session of its own is out of the terminal's reach.
  if (!child.group) return;
  live.add(child);
  if (live.size === 1) {
    Deno.addSignalListener("SIGINT", forwardInterrupt);
  }
}

function forget(child: Child): void {
  if (!live.delete(child)) return;
  if (live.size === 0) {
    Deno.removeSignalListener("SIGINT", forwardInterrupt);
  }
}

// ---- Ctrl-C ------------------------------------------------------------------

// Children still running, in every run.
const live = new Set<Child>();

// A terminal's Ctrl-C sends SIGINT to its foreground process group, which
// our children (each in a session of its own) are not in: forward it to
// them, as if they were. If nothing in aio handles SIGINT (no runMain, no
// handler, no receiver), this listener steps aside and raises SIGINT again,
// so that the program ends the way it would have without it.
function forwardInterrupt(): void {
  for (const child of live) child.signal("SIGINT");
  if (listening("SIGINT") === 0) {
    Deno.removeSignalListener("SIGINT", forwardInterrupt);
    live.clear();
    Deno.kill(Deno.pid, "SIGINT");
  }
}

// ---- option checks -----------------------------------------------------------

/** Validates a command name. */
export function checkCommand(cmd: unknown, what: string): string {
  if (typeof cmd !== "string" && !(cmd instanceof URL)) {
    throw new TypeError(
      `${what}: the command must be a string, got ${show(cmd)}`,
    );
  }
  const text = String(cmd);
  if (text === "") throw new TypeError(`${what}: the command is empty`);
  return text;
}

/** Validates an argument list. */
export function checkArgs(args: unknown, what: string): string[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) {
    throw new TypeError(
      `${what}: args must be an array of strings, got ${show(args)}`,
    );
  }
  for (let i = 0; i < args.length; i++) {
    if (typeof args[i] !== "string") {
      throw new TypeError(
        `${what}: args[${i}] must be a string, got ${show(args[i])}`,
      );
    }
  }
  return args as string[];
}

/** Validates `killGraceMs`. */
export function checkGrace(value: unknown, what: string): number {
  if (value === undefined) return DEFAULT_KILL_GRACE_MS;
  checkDelay(value, what);
  return value as number;
}

/** The option check for a stdio option. */
export function stdioCheck(
  merge: boolean,
): (value: unknown) => string | undefined {
  return (value) =>
    value === "piped" || value === "inherit" || value === "null" ||
      (merge && value === "stdout")
      ? undefined
      : `must be "piped", "inherit", "null"${merge ? ' or "stdout"' : ""}`;
}

/** The option check for `env`. */
export function envCheck(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "must be an object of strings";
  }
  for (const v of Object.values(value)) {
    if (typeof v !== "string") return "must be an object of strings";
  }
  return undefined;
}

/** The option check for `cwd`. */
export function cwdCheck(value: unknown): string | undefined {
  return typeof value === "string" || value instanceof URL
    ? undefined
    : "must be a string or URL";
}

/** Fails with InvalidStateError (for messages shared by callers). */
export function invalid(message: string): InvalidStateError {
  return new InvalidStateError(message);
}
