/**
 * `serveRedisWorker(options)`: the worker side of `RedisExecutor`. Pulls
 * jobs from a BullMQ queue on Redis and runs each in a local `WorkerPool`
 * isolate or `SubprocessExecutor` process, never on its own event loop (so
 * BullMQ keeps renewing its locks), and pushes the outcome to the caller's
 * reply list. Runs inside `run()` until cancelled.
 *
 * Mirrors a Celery worker (`celery worker`), structured.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { CancelledError } from "../errors.ts";
import { WorkerPool } from "../workers/worker_pool.ts";
import { SubprocessExecutor } from "../workers/subprocess_executor.ts";
import { serializeError } from "../workers/_errors_wire.ts";
import { currentScope, Scope, storage } from "../_core/_scope.ts";
import { waitPromise } from "../_core/_trap.ts";
import { checkOptions } from "../_core/_checks.ts";
import {
  checkQueueName,
  checkRedisUrl,
  connect,
  decodeArgs,
  DISCONNECT_SETTLE_MS,
  encodeReply,
  type JobData,
  Keys,
  Outcome,
  type Reply,
  REPLY_TTL_MS,
  resolveModule,
  rootUrl,
  showUrl,
  within,
} from "./_protocol.ts";

/** Options for {@linkcode serveRedisWorker}. */
export interface RedisWorkerOptions {
  /** The Redis server (`redis://` or `rediss://`); default `redis://127.0.0.1:6379`. */
  url?: string;
  /** The queue's name, as the callers use it; default `"aio"`. */
  queue?: string;
  /** The module root: jobs may only load modules under it. */
  root: string | URL;
  /** Jobs run at once (the local pool's size); default `navigator.hardwareConcurrency`. */
  concurrency?: number;
  /**
   * Where each job runs: `"worker"` (default) a `WorkerPool` isolate,
   * `"subprocess"` a `SubprocessExecutor` process (a cancelled job's
   * process is killed, which stops even a loop that never yields).
   */
  isolate?: "worker" | "subprocess";
  /**
   * Run function source text sent by `submit` / `runInExecutor` (default
   * false: such jobs fail with `WorkerError`). Source text runs with this
   * worker's permissions: allow it only for callers you trust.
   */
  allowSource?: boolean;
  /** BullMQ's lock duration (ms); a job whose worker died runs again after about this long. Default 30000. */
  lockMs?: number;
  /** How often (ms) stalled jobs are looked for; default `lockMs / 2`. */
  stalledIntervalMs?: number;
  /**
   * How many times a job whose worker died may run again before it fails
   * (BullMQ's `maxStalledCount`); default 1. `0`: at most once.
   */
  maxStalledCount?: number;
  /** How often (ms) callers' heartbeats and cancel flags are checked; default 1000. */
  heartbeatMs?: number;
  /** More `deno run` flags for `isolate: "subprocess"` (an import map...). */
  denoArgs?: string[];
  /** Called once the worker is connected and taking jobs. */
  onReady?: (info: { queue: string; url: string; concurrency: number }) => void;
}

/** Why a local job was stopped. */
type StopReason = "cancelled" | "caller" | "deadline" | "stopping";

interface Local {
  readonly scope: Scope;
  readonly caller: string;
  reason: StopReason | undefined;
  /** Heartbeat checks in a row that found the caller's key gone. */
  misses: number;
}

const STOP_MESSAGES: Record<StopReason, string> = {
  cancelled: "cancelled by the caller",
  caller: "the caller is gone (its heartbeat stopped)",
  deadline: "the job's deadline passed",
  stopping: "the worker running the job stopped",
};

function compileSource(source: string): (...args: unknown[]) => unknown {
  // Only builds the function object (its text is what travels to the
  // isolate); nothing of it runs here.
  try {
    return new Function(`"use strict"; return (${source}\n);`)();
  } catch {
    const holder = new Function(`"use strict"; return ({${source}\n});`)();
    return Object.values(Object.getOwnPropertyDescriptors(holder))[0]
      ?.value;
  }
}

/**
 * Serves a `RedisExecutor` queue until cancelled: takes jobs from the
 * queue (`concurrency` at once), runs each in a local isolate or process,
 * and replies to its caller. A job is stopped (its isolate or process
 * ended) when its caller cancels it, its caller's heartbeat stops, or its
 * deadline passes. When the worker is cancelled (its task, scope or
 * `run()`), running jobs are stopped, their callers get a `WorkerError`,
 * and every connection, isolate and process is closed before it returns.
 *
 * Needs `--allow-env` (whole), `--allow-net` for Redis, read access to the
 * root, and `--allow-run` for `isolate: "subprocess"`.
 *
 * Mirrors a Celery worker process, run as a structured task.
 *
 * @param options `url`, `queue`, `root`, `concurrency`, `isolate`, `allowSource`, `lockMs`, `stalledIntervalMs`, `maxStalledCount`, `heartbeatMs`, `denoArgs`, `onReady`.
 * @returns Never normally: it ends by cancellation (throwing `CancelledError`).
 * @throws {TypeError} On a bad option.
 *
 * @example
 * ```ts ignore
 * import { runMain } from "@seed/aio";
 * import { serveRedisWorker } from "@seed/aio/redis";
 *
 * await runMain(() =>
 *   serveRedisWorker({
 *     url: "redis://127.0.0.1:6379",
 *     queue: "jobs",
 *     root: "./jobs",
 *     concurrency: 4,
 *   })
 * );
 * ```
 */
export async function serveRedisWorker(
  options: RedisWorkerOptions,
): Promise<never> {
  const what = "serveRedisWorker()";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${what}: options must be an object`);
  }
  checkOptions(options, {
    url: "string",
    queue: "string",
    root: (v) =>
      typeof v === "string" || v instanceof URL
        ? undefined
        : "must be a path or URL",
    concurrency: (v) =>
      typeof v === "number" && Number.isInteger(v) && v > 0
        ? undefined
        : "must be a positive integer",
    isolate: (v) =>
      v === "worker" || v === "subprocess"
        ? undefined
        : 'must be "worker" or "subprocess"',
    allowSource: "boolean",
    lockMs: (v) => typeof v === "number" && v > 0 ? undefined : "must be > 0",
    stalledIntervalMs: (v) =>
      typeof v === "number" && v > 0 ? undefined : "must be > 0",
    maxStalledCount: (v) =>
      typeof v === "number" && Number.isInteger(v) && v >= 0
        ? undefined
        : "must be a non-negative integer",
    heartbeatMs: (v) =>
      typeof v === "number" && v > 0 ? undefined : "must be > 0",
    denoArgs: (v) =>
      Array.isArray(v) && v.every((a) => typeof a === "string")
        ? undefined
        : "must be an array of strings",
    onReady: "function",
  }, what);
  const url = checkRedisUrl(options.url ?? "redis://127.0.0.1:6379", what);
  const keys = new Keys(checkQueueName(options.queue ?? "aio", what));
  if (options.root === undefined) {
    throw new TypeError(`${what}: root is required`);
  }
  const root = rootUrl(options.root, what);
  const concurrency = options.concurrency ?? navigator.hardwareConcurrency ??
    1;
  const lockMs = options.lockMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const allowSource = options.allowSource ?? false;

  const outer = currentScope();
  // Jobs run in scopes under this one: cancelling the worker stops them.
  const scope = new Scope(outer, outer?.task, "serveRedisWorker()");
  const pool = options.isolate === "subprocess"
    ? new SubprocessExecutor({
      size: concurrency,
      idleTimeoutMs: 60_000,
      denoArgs: options.denoArgs ?? [],
      name: "aio-redis-job",
    })
    : new WorkerPool({
      size: concurrency,
      idleTimeoutMs: 60_000,
      name: "aio-redis-job",
    });
  const active = new Map<string, Local>();
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  const client: Redis = connect(url, onError);
  const subscriber: Redis = connect(url, onError);
  const workerConnection: Redis = connect(url, onError);
  let fatal: ((error: unknown) => void) | undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    fatal = reject;
  });
  failed.catch(() => {});

  const stop = (id: string, reason: StopReason): void => {
    const local = active.get(id);
    if (local === undefined || local.reason !== undefined) return;
    local.reason = reason;
    local.scope.cancel(STOP_MESSAGES[reason]);
  };

  const reply = async (
    caller: string,
    message: Reply,
  ): Promise<void> => {
    const key = keys.reply(caller);
    const results = await client.pipeline()
      .lpush(key, encodeReply(message) as Buffer)
      .pexpire(key, REPLY_TTL_MS)
      .exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  };

  const processor = async (job: Job): Promise<void> => {
    const id = job.id!;
    const data = job.data as JobData;
    if (
      data === null || typeof data !== "object" || data.v !== 1 ||
      typeof data.c !== "string" || typeof data.a !== "string"
    ) {
      throw new UnrecoverableError("not an aio job (unknown format)");
    }
    const caller = data.c;
    if (data.m >= 0 && job.stalledCounter > data.m) {
      await reply(caller, [
        id,
        Outcome.Engine,
        `The job's worker died while running it, and the call allows ${data.m} rerun(s) after that (maxStalledCount: ${data.m}): it was not run again`,
      ]);
      throw new UnrecoverableError("stalled more often than the call allows");
    }
    if (data.d > 0 && Date.now() >= data.d) {
      throw new UnrecoverableError(
        "the job's deadline passed before it started",
      );
    }
    // What to run; a refusal is the caller's error, not the engine's.
    let run: () => Promise<unknown>;
    try {
      const args = decodeArgs(data.a);
      if (data.s !== undefined) {
        if (!allowSource) {
          throw new TypeError(
            `The worker refuses function source text (submit, runInExecutor): it would run with the worker's permissions; start the worker with --allow-source (allowSource: true) to accept it, or call a module under its root with run()`,
          );
        }
        const fn = compileSource(data.s);
        if (typeof fn !== "function") {
          throw new TypeError(
            "The source sent to the worker is not a function",
          );
        }
        run = () => pool.submit(fn, ...args);
      } else {
        const url = resolveModule(root, data.p);
        if (typeof data.n !== "string" || data.n === "") {
          throw new TypeError("The job names no export to call");
        }
        const name = data.n;
        run = () => pool.run(url, name, args);
      }
    } catch (error) {
      await reply(caller, [id, Outcome.Error, serializeError(error)]);
      return;
    }
    const local: Local = {
      scope: new Scope(scope, scope.task, `job ${id}`),
      caller,
      reason: undefined,
      misses: 0,
    };
    active.set(id, local);
    let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
    if (data.d > 0) {
      deadlineTimer = setTimeout(
        () => stop(id, "deadline"),
        Math.max(0, data.d - Date.now()),
      );
    }
    // A cancel sent before this worker listened for it left a flag.
    client.exists(keys.cancel(id)).then(
      (flag: number) => flag > 0 && stop(id, "cancelled"),
      () => {},
    );
    try {
      let value: unknown;
      try {
        value = await storage.run(local.scope, run);
      } catch (error) {
        // Cancelled from outside the job: the worker itself is stopping.
        if (local.reason === undefined && local.scope.cancelled) {
          local.reason = "stopping";
        }
        if (local.reason !== undefined) {
          if (local.reason === "stopping") {
            await reply(caller, [
              id,
              Outcome.Engine,
              `${STOP_MESSAGES.stopping} (it was shut down)`,
            ]).catch(() => {});
          }
          throw new UnrecoverableError(STOP_MESSAGES[local.reason]);
        }
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 < attempts) {
          // BullMQ runs it again; only the last attempt's error is sent.
          throw error instanceof Error ? error : new Error(String(error));
        }
        await reply(caller, [id, Outcome.Error, serializeError(error)]);
        return;
      }
      if (local.reason !== undefined) {
        throw new UnrecoverableError(STOP_MESSAGES[local.reason]);
      }
      try {
        await reply(caller, [id, Outcome.Ok, value]);
      } catch (error) {
        if (error instanceof DOMException || error instanceof TypeError) {
          await reply(caller, [
            id,
            Outcome.Error,
            serializeError(
              new TypeError(
                `Cannot send the result back from the worker: ${error.message}`,
              ),
            ),
          ]);
        } else throw error;
      }
    } finally {
      clearTimeout(deadlineTimer);
      active.delete(id);
      local.scope.close();
    }
  };

  const beat = setInterval(() => {
    if (active.size === 0 || client.status !== "ready") return;
    const ids = [...active.keys()];
    const pipeline = client.pipeline();
    for (const id of ids) {
      pipeline.exists(keys.caller(active.get(id)!.caller));
      pipeline.exists(keys.cancel(id));
    }
    pipeline.exec().then((results: [Error | null, unknown][] | null) => {
      if (results === null) return;
      ids.forEach((id, i) => {
        const local = active.get(id);
        if (local === undefined) return;
        const [aliveError, alive] = results[2 * i];
        const [flagError, flag] = results[2 * i + 1];
        if (flagError === null && (flag as number) > 0) stop(id, "cancelled");
        if (aliveError === null) {
          local.misses = (alive as number) > 0 ? 0 : local.misses + 1;
          // Twice in a row: a caller reconnecting has a moment to refresh.
          if (local.misses >= 2) stop(id, "caller");
        }
      });
    }, () => {});
  }, heartbeatMs);

  let worker: Worker | undefined;
  try {
    subscriber.on("message", (_channel: string, id: string) => {
      stop(id, "cancelled");
    });
    await waitPromise(subscriber.subscribe(keys.channel), scope, "remote");
    worker = new Worker(keys.queue, processor, {
      connection: workerConnection,
      concurrency,
      lockDuration: lockMs,
      stalledInterval: options.stalledIntervalMs ?? Math.max(1, lockMs / 2),
      maxStalledCount: options.maxStalledCount ?? 1,
      skipVersionCheck: true,
      autorun: false,
      // Seconds an idle worker blocks for new jobs: also how late a retry
      // with a backoff delay may start (BullMQ's default is 5).
      drainDelay: 1,
    });
    worker.on("error", (error: Error) => {
      lastError = error;
    });
    const running = worker.run();
    running.catch((error: unknown) => fatal!(error));
    await waitPromise(worker.waitUntilReady(), scope, "remote");
    options.onReady?.({
      queue: keys.queue,
      url: showUrl(url),
      concurrency,
    });
    // Serve until cancelled (or BullMQ gives up).
    return await waitPromise(failed, scope, "remote");
  } catch (error) {
    if (lastError !== undefined && !(error instanceof CancelledError)) {
      throw new Error(
        `serveRedisWorker(): ${
          error instanceof Error ? error.message : String(error)
        } (last Redis error: ${lastError.message})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    clearInterval(beat);
    // Running jobs end: their callers hear that this worker stopped.
    for (const id of [...active.keys()]) stop(id, "stopping");
    scope.cancel("serveRedisWorker() stopped");
    pool.terminate();
    await pool.close().catch(() => {});
    if (worker !== undefined) {
      await within(worker.close(), 2000);
    }
    subscriber.disconnect();
    workerConnection.disconnect();
    client.disconnect();
    scope.close();
    await new Promise((resolve) => setTimeout(resolve, DISCONNECT_SETTLE_MS));
  }
}
