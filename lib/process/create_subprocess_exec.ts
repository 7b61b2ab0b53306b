/**
 * `createSubprocessExec(cmd, args, options)`: starts a program. Mirrors
 * `asyncio.create_subprocess_exec(program, *args, ...)`.
 *
 * @module
 */

import { checkpoint } from "../sleep.ts";
import { Process, type SubprocessOptions, subprocessSpec } from "./process.ts";

/**
 * Starts the program `cmd` with the arguments `args` (no shell: nothing is
 * expanded or quoted) and returns its {@linkcode Process}. The child runs
 * in a process group of its own and belongs to the calling scope:
 * cancelling that scope stops it (SIGTERM to the group, then SIGKILL after
 * `killGraceMs`), and it never outlives `run()`. Must be called inside
 * `run()`.
 *
 * Mirrors `asyncio.create_subprocess_exec(program, *args, stdin=…,
 * stdout=…, stderr=…, cwd=…, env=…)`.
 *
 * @param cmd The program: a name looked up on PATH, or a path.
 * @param args Its arguments.
 * @param options `stdin`, `stdout`, `stderr` (`"piped"`, `"inherit"`
 *   (default), `"null"`; stderr also `"stdout"`), `cwd`, `env`, `clearEnv`,
 *   `killGraceMs`, `limit`.
 * @returns The running process.
 * @throws {Deno.errors.NotFound} If there is no such program (or `cwd`).
 * @throws {Deno.errors.PermissionDenied} If it cannot be executed (or
 *   `--allow-run` is missing).
 * @throws {TypeError} For a bad command, argument or option.
 * @throws {InvalidStateError} Outside `run()`.
 * @throws {CancelledError} If the calling scope is cancelled.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, run } from "@seed/aio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", ["hello"], { stdout: "piped" });
 *   console.log(new TextDecoder().decode(await proc.stdout!.readline())); // "hello\n"
 *   console.log(await proc.wait()); // 0
 * });
 * ```
 */
export async function createSubprocessExec(
  cmd: string | URL,
  args?: string[],
  options?: SubprocessOptions,
): Promise<Process> {
  const spec = subprocessSpec(cmd, args, options, "createSubprocessExec()");
  await checkpoint();
  return new Process(spec);
}
