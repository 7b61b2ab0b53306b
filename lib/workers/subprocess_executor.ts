/**
 * `SubprocessExecutor`: a `WorkerPool` whose workers are `deno` processes,
 * for work that must be stoppable for real. Mirrors `ProcessPoolExecutor`.
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";
import { checkOptions, show } from "../_core/_checks.ts";
import { currentScope } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import { POOL_OPTIONS } from "./_options.ts";
import {
  useSpawner,
  type WorkerLike,
  WorkerPool,
  type WorkerPoolOptions,
} from "./worker_pool.ts";

/** Options for {@linkcode SubprocessExecutor}. */
export interface SubprocessExecutorOptions
  extends Omit<WorkerPoolOptions, "permissions"> {
  /**
   * The processes' permissions, as `deno run` flags: `"inherit"` (default)
   * passes each permission this process holds in full (`--allow-read`,
   * ...; one granted only for some paths is not passed), `"none"` passes
   * none, and an object such as `{ read: ["/data"], net: true }` passes
   * exactly that.
   */
  permissions?: Deno.PermissionOptions;
  /** More `deno run` flags, e.g. `["--import-map=import_map.json"]`. */
  denoArgs?: string[];
}

const PERMISSION_NAMES = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

function permissionFlags(permissions: Deno.PermissionOptions): string[] {
  if (permissions === "none") return [];
  const flags: string[] = [];
  if (permissions === "inherit") {
    for (const name of PERMISSION_NAMES) {
      if (name === "import") continue;
      const status = Deno.permissions.querySync({ name });
      if (status.state === "granted") flags.push(`--allow-${name}`);
    }
    return flags;
  }
  const object = permissions as Record<string, unknown>;
  for (const name of PERMISSION_NAMES) {
    const value = object[name];
    if (value === true || value === "inherit") flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.map(String).join(",")}`);
    }
  }
  return flags;
}

const SUBPROCESS_OPTIONS = { ...POOL_OPTIONS, denoArgs: "object" } as const;

/** One `deno` process speaking the worker protocol over stdin/stdout. */
class ProcessWorker implements WorkerLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onmessageerror: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  /** Settles once the process is gone and its pipes are closed. */
  readonly exited: Promise<void>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stopped = false;

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    const reading = this.#read();
    this.exited = Promise.all([this.#child.status, reading]).then(
      ([status]) => {
        this.#stdin.close().catch(() => {});
        if (!this.#stopped) {
          // It left on its own (crash, kill from outside): the pool fails
          // the call it was running, as for a worker that exited.
          this.#deliver({
            exit: `process exited with code ${status.code}${
              status.signal !== null ? ` (${status.signal})` : ""
            }`,
          });
        }
      },
    );
  }

  postMessage(message: unknown, options?: StructuredSerializeOptions): void {
    const transfer = options?.transfer;
    // A pipe copies: detach transferred buffers as postMessage would.
    if (transfer !== undefined && transfer.length > 0) {
      message = structuredClone(message, { transfer });
    }
    let body: Uint8Array;
    try {
      body = serialize(message);
    } catch (error) {
      throw new DOMException(
        error instanceof Error ? error.message : String(error),
        "DataCloneError",
      );
    }
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length, true);
    frame.set(body, 4);
    this.#stdin.write(frame).catch(() => {
      // The process is gone; its exit is reported by `exited`.
    });
  }

  terminate(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      // A real stop, even for a loop that never yields.
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }

  #deliver(data: unknown): void {
    if (this.#stopped) return;
    this.onmessage?.({ data } as MessageEvent);
  }

  async #read(): Promise<void> {
    let pending = new Uint8Array(0);
    try {
      for await (const chunk of this.#child.stdout) {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending);
        joined.set(chunk, pending.length);
        let offset = 0;
        while (joined.length - offset >= 4) {
          const length = new DataView(
            joined.buffer,
            joined.byteOffset + offset,
            4,
          ).getUint32(0, true);
          if (joined.length - offset - 4 < length) break;
          const body = joined.subarray(offset + 4, offset + 4 + length);
          offset += 4 + length;
          let data: unknown;
          try {
            data = deserialize(body);
          } catch {
            if (!this.#stopped) this.onmessageerror?.({} as MessageEvent);
            continue;
          }
          this.#deliver(data);
        }
        pending = joined.slice(offset);
      }
    } catch {
      // The pipe broke because the process was killed.
    }
  }
}

/**
 * A pool of `deno` subprocesses with the `WorkerPool` interface (`run`,
 * `wrap`, `submit`, `stats`, `close`, `await using`): the honest analog of
 * `ProcessPoolExecutor`. Each call runs in a process of its own at a time;
 * cancelling the calling task kills that process with SIGKILL, which stops
 * even a JavaScript loop that never yields (`worker.terminate()` cannot),
 * and the pool starts another. The price: a process start (tens of ms) per
 * worker, and a pipe instead of shared memory, so `transfer` copies.
 * Arguments and results travel in the structured-clone format; the
 * processes' stdout carries the protocol, so their console output goes to
 * stderr. `close()` (and `await using`) waits until every process is gone.
 *
 * Mirrors `concurrent.futures.ProcessPoolExecutor`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, SubprocessExecutor } from "@seed/aio";
 *
 * await run(async () => {
 *   await using executor = new SubprocessExecutor({ size: 1 });
 *   const pid = await getRunningLoop().runInExecutor(executor, () => Deno.pid);
 *   console.log(pid !== Deno.pid); // true: another process
 * });
 * ```
 */
export class SubprocessExecutor extends WorkerPool {
  readonly #exits = new Set<Promise<void>>();

  /**
   * Makes an executor; no process starts until the first call. Starting
   * processes needs `--allow-run` for the `deno` executable.
   * @param options `size`, `idleTimeoutMs`, `maxQueue`, `permissions`, `denoArgs`, `name`.
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `size` or `maxQueue` is out of range.
   */
  constructor(options: SubprocessExecutorOptions = {}) {
    checkOptions(options, SUBPROCESS_OPTIONS, "new SubprocessExecutor()");
    const { denoArgs = [], permissions = "inherit", ...rest } = options;
    if (
      !Array.isArray(denoArgs) ||
      denoArgs.some((arg) => typeof arg !== "string")
    ) {
      throw new TypeError(
        `new SubprocessExecutor(): denoArgs must be an array of strings, got ${
          show(denoArgs)
        }`,
      );
    }
    super({ ...rest, permissions });
    const host = new URL("./_subprocess_host.ts", import.meta.url).href;
    const args = [
      "run",
      "--quiet",
      ...permissionFlags(permissions),
      ...denoArgs,
      host,
    ];
    useSpawner(this, () => {
      const worker = new ProcessWorker(args);
      const exit = worker.exited.finally(() => this.#exits.delete(exit));
      this.#exits.add(exit);
      return worker;
    }, "process");
  }

  /**
   * Like `WorkerPool.close()`, then waits until every process has exited
   * (they are killed with SIGKILL, so this is prompt).
   * @returns Once no process of this executor is left.
   */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      // A cancellation point too: the processes were sent SIGKILL, so a
      // cancelled caller need not stay for their exit.
      await waitPromise(this._stopped(), currentScope(), "process");
    }
  }

  /** @internal Settles once every process killed so far has exited. */
  override async _stopped(): Promise<void> {
    await Promise.all(this.#exits);
  }
}
