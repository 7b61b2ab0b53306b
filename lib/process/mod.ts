/**
 * Subprocesses and signals: `createSubprocessExec`, `createSubprocessShell`
 * and their `Process`, `runProcess` with `CalledProcessError`, and
 * `signalReceiver`. (The loop's `addSignalHandler` is on `EventLoop`.)
 *
 * Also re-exported from `@seed/aio`.
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { runProcess } from "@seed/aio/process";
 *
 * await run(async () => {
 *   const { stdout } = await runProcess("echo", ["hi"], { capture: true, text: true });
 *   console.log(stdout); // "hi\n"
 * });
 * ```
 *
 * @module
 */

export { createSubprocessExec } from "./create_subprocess_exec.ts";
export { createSubprocessShell } from "./create_subprocess_shell.ts";
export {
  type CommunicateResult,
  Process,
  type StdioOption,
  type SubprocessOptions,
} from "./process.ts";
export {
  CalledProcessError,
  type ProcessResult,
  runProcess,
  type RunProcessOptions,
} from "./run_process.ts";
export { type SignalReceiver, signalReceiver } from "./signal_receiver.ts";
// The classes of a Process's pipes (documented with the streams).
export type { StreamReader } from "../streams/stream_reader.ts";
export type { SocketAddress, StreamWriter } from "../streams/stream_writer.ts";
