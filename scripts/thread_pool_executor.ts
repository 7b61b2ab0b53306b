/**
 * Blocking I/O handed to a pool with `runInExecutor`: a `WorkerPool`
 * (closed by `await using`, as `with ThreadPoolExecutor() as pool:` closes
 * the pool) reads the first 100 bytes of a file, and the script prints
 * `Blocking I/O function result: b'...'`, the bytes as Python prints them.
 *
 * Mirrors the "Multithreading with Asyncio" example of the asyncio
 * documents: `with ThreadPoolExecutor() as pool:`
 * `result = await loop.run_in_executor(pool, blocking_io_function)`,
 * `print('Blocking I/O function result:', result)`. The document leaves
 * `blocking_io_function` undefined; here it is the other document's
 * `blocking_io`: `open(path, 'rb').read(100)`. Workers are isolates on
 * threads of their own; the function travels as source text, so it is
 * self-contained and gets the path as an argument.
 *
 * Run: deno run --allow-read scripts/thread_pool_executor.ts [--file PATH]
 * (`--file` is what blocking_io_function reads, this script by default.)
 *
 * @module
 */

import { getRunningLoop, runMain, WorkerPool } from "@seed/aio";
import { fileURLToPath } from "node:url";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";
import { bytesRepr } from "./run_in_executor.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/thread_pool_executor.ts",
  shows:
    `Blocking I/O in a pool: a WorkerPool (closed by await using) reads the first
100 bytes of a file and the script prints "Blocking I/O function result:
b'...'", as CPython prints bytes.
Mirrors: with ThreadPoolExecutor() as pool:
    result = await loop.run_in_executor(pool, blocking_io_function)`,
  permissions: ["--allow-read"],
  flags: { "--file PATH": "the file to read (default: this script)" },
  sleeps: false,
};

// Self-contained: it runs in a worker, with the path as its argument.
function blockingIoFunction(path: string): Uint8Array {
  const file = Deno.openSync(path);
  try {
    const buffer = new Uint8Array(100);
    const read = file.readSync(buffer) ?? 0;
    return buffer.subarray(0, read);
  } finally {
    file.close();
  }
}

async function main(path: string): Promise<void> {
  const loop = getRunningLoop();
  await using pool = new WorkerPool({ name: "thread pool" });
  const result = await loop.runInExecutor(pool, blockingIoFunction, path);
  console.log("Blocking I/O function result:", bytesRepr(result));
}

/**
 * Runs the example with command-line flags (`--file`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  const path = parsed.values.file ?? fileURLToPath(import.meta.url);
  return await runMain(() => main(path));
}

if (import.meta.main) await cli(Deno.args);
