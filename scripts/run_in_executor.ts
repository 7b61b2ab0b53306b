/**
 * Blocking and CPU-bound work handed to executors with
 * `getRunningLoop().runInExecutor(executor, fn, ...args)`:
 *
 * 1. the run's default executor reads the first 100 bytes of a file;
 * 2. a custom pool (`WorkerPool`, closed by `await using`) does the same
 *    and prints them as Python prints bytes;
 * 3. a pool sized to the CPU runs `cpu_bound`, the sum of i² for i below 50
 *    (40425).
 *
 * Mirrors the "Executing code in thread or process pools" example of the
 * asyncio documents: `loop.run_in_executor(None, blocking_io)`, then
 * `ThreadPoolExecutor()` and `ProcessPoolExecutor()` in `with` blocks,
 * printing `Custom thread pool b'...'` and `custom process pool 40425`.
 * Deno has no fork and no GIL to escape: workers are isolates on their own
 * threads, so a `WorkerPool` gives both the thread pool's offloading and
 * the process pool's parallelism. The functions travel as source text, so
 * they are self-contained and take what they need as arguments.
 *
 * Run: deno run --allow-read scripts/run_in_executor.ts [--file PATH] [--speed 0.1]
 * (`--file` is what blocking_io reads, this script by default; nothing here
 * sleeps, `--speed` is accepted like every script's.)
 *
 * @module
 */

import { getRunningLoop, runMain, WorkerPool } from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";
import { fileURLToPath } from "node:url";

let file = fileURLToPath(import.meta.url);

// Self-contained: file operations (such as logging) can block the event
// loop, so they run in a worker.
function blockingIo(path: string): Uint8Array {
  const handle = Deno.openSync(path);
  try {
    const buffer = new Uint8Array(100);
    const read = handle.readSync(buffer) ?? 0;
    return buffer.subarray(0, read);
  } finally {
    handle.close();
  }
}

// Self-contained: CPU-bound work would block the event loop.
function cpuBound(): number {
  let sum = 0;
  for (let i = 0; i < 10 * 5; i++) sum += i ** 2;
  return sum;
}

/**
 * Bytes the way Python's `repr` prints them: `b'...'`, or `b"..."` when they
 * hold a single quote and no double quote (`b"it's\n"`).
 */
export function bytesRepr(data: Uint8Array): string {
  const quote = data.includes(0x27) && !data.includes(0x22) ? '"' : "'";
  const escapes: Record<number, string> = {
    0x09: "\\t",
    0x0a: "\\n",
    0x0d: "\\r",
    0x5c: "\\\\",
  };
  let text = "";
  for (const byte of data) {
    const char = String.fromCharCode(byte);
    text += escapes[byte] ??
      (char === quote
        ? `\\${char}`
        : byte >= 0x20 && byte < 0x7f
        ? char
        : `\\x${byte.toString(16).padStart(2, "0")}`);
  }
  return `b${quote}${text}${quote}`;
}

async function main(): Promise<void> {
  const loop = getRunningLoop();

  // 1. Run in the loop's default executor (undefined, asyncio's None).
  // (The document prints nothing here: the result is overwritten below.)
  await loop.runInExecutor(undefined, blockingIo, file);

  // 2. Run in a custom pool, closed when the block ends.
  {
    await using executor = new WorkerPool({ size: 2, name: "thread pool" });
    const result = await loop.runInExecutor(executor, blockingIo, file);
    console.log("Custom thread pool", bytesRepr(result));
  }

  // 3. Run CPU-bound work in a pool with a worker per core.
  {
    await using executor = new WorkerPool({
      size: navigator.hardwareConcurrency,
      name: "process pool",
    });
    const result = await loop.runInExecutor(executor, cpuBound);
    console.log("custom process pool", result);
  }
}

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/run_in_executor.ts",
  shows: `Blocking and CPU-bound work handed to executors with
getRunningLoop().runInExecutor(executor, fn): the default executor and a
custom pool read the first 100 bytes of a file (printed as Python prints
bytes), a pool sized to the CPU sums i*i for i below 50 (40425).
Mirrors asyncio's "Executing code in thread or process pools" example.`,
  permissions: ["--allow-read"],
  flags: { "--file PATH": "the file blocking_io reads (default: this script)" },
  sleeps: false,
};

/**
 * Runs the example with command-line flags (`--file`, `--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  file = parsed.values.file ?? file;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
