/**
 * `createSubprocessShell(cmdline, options)`: runs a shell command line.
 * Mirrors `asyncio.create_subprocess_shell(cmd, ...)`.
 *
 * @module
 */

import { checkpoint } from "../sleep.ts";
import { show } from "../_core/_checks.ts";
import { Process, type SubprocessOptions, subprocessSpec } from "./process.ts";

/**
 * Runs `cmdline` with the system shell (`/bin/sh -c`; `cmd.exe /c` on
 * Windows) and returns its {@linkcode Process}: pipes, globs, `&&` and
 * redirections work, and quoting any untrusted text in it is the caller's
 * job (prefer `createSubprocessExec`). The shell and every command it
 * starts share one process group, so stopping the process stops them all.
 * Must be called inside `run()`.
 *
 * Mirrors `asyncio.create_subprocess_shell(cmd, stdin=…, stdout=…, …)`.
 *
 * @param cmdline The command line.
 * @param options As for `createSubprocessExec`.
 * @returns The running process (the shell's).
 * @throws {TypeError} If `cmdline` is not a non-empty string, or for a bad option.
 * @throws {InvalidStateError} Outside `run()`.
 * @throws {CancelledError} If the calling scope is cancelled.
 *
 * @example
 * ```ts
 * import { createSubprocessShell, run } from "@seed/aio";
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo one two | wc -w", {
 *     stdout: "piped",
 *   });
 *   const { stdout } = await proc.communicate();
 *   console.log(new TextDecoder().decode(stdout!).trim()); // "2"
 * });
 * ```
 */
export async function createSubprocessShell(
  cmdline: string,
  options?: SubprocessOptions,
): Promise<Process> {
  if (typeof cmdline !== "string" || cmdline.trim() === "") {
    throw new TypeError(
      `createSubprocessShell(): the command line must be a non-empty string, got ${
        show(cmdline)
      }`,
    );
  }
  const windows = Deno.build.os === "windows";
  const spec = subprocessSpec(
    windows ? "cmd.exe" : "/bin/sh",
    windows ? ["/d", "/s", "/c", cmdline] : ["-c", cmdline],
    options,
    "createSubprocessShell()",
  );
  await checkpoint();
  return new Process(spec);
}
