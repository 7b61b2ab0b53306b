/**
 * `RedisExecutor`: aio's `Executor` over BullMQ on Redis. Calls become
 * jobs that worker processes (`serveRedisWorker`, or the `worker.ts`
 * command) on any machine pull from a Redis queue; the caller keeps aio's
 * guarantees: a call is a cancellation point, cancelling it answers at once
 * and stops the job remotely, errors keep their class, and nothing outlives
 * the scope or `run()` that used the executor.
 *
 * Mirrors `loop.run_in_executor(executor, ...)` with a distributed executor
 * (what Celery, Dask or Ray give Python).
 *
 * @module
 */

import { wrapModule } from "../workers/_wrap.ts";
import { Room } from "../workers/_room.ts";
import { currentDeadline } from "../timeout.ts";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CancelledError, InvalidStateError } from "../errors.ts";
import type { EventLoop } from "../event_loop.ts";
import type { Executor } from "../workers/executor.ts";
import type { Wrapped } from "../workers/worker_pool.ts";
import { WorkerError } from "../workers/worker_error.ts";
import { functionSource } from "../workers/_source.ts";
import type { SerializedError } from "../workers/_errors_wire.ts";
import { currentScope, type Scope } from "../_core/_scope.ts";
import { suspend, Wait } from "../_core/_trap.ts";
import { WaitQueue } from "../_core/_wait_queue.ts";
import { checkOptions, show } from "../_core/_checks.ts";
import { now } from "../_core/_timers.ts";
import {
  checkQueueName,
  checkRedisUrl,
  connect,
  decodeReply,
  DISCONNECT_SETTLE_MS,
  encodeArgs,
  type JobData,
  Keys,
  Outcome,
  rebuildRemoteError,
  relativeModule,
  REPLY_TTL_MS,
  rootUrl,
  showUrl,
  within,
} from "./_protocol.ts";

// ---- Types -------------------------------------------------------------------

/** Options for {@linkcode RedisExecutor}. */
export interface RedisExecutorOptions {
  /** The Redis server: `redis://[user:password@]host:port/db`, or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** The queue's name (no `:`), shared with the workers. Default `"aio"`. */
  queue?: string;
  /**
   * The module root callers and workers share: a directory path or URL.
   * Module URLs travel relative to it and must stay inside it. Default:
   * the current directory.
   */
  root?: string | URL;
  /**
   * Most calls in flight at once (default 1000). Beyond it, a call waits
   * for room (a cancellation point) before its job is added.
   */
  maxInFlight?: number;
  /**
   * How many times a job runs when its function throws (default 1: no
   * retry). Only the last attempt's error reaches the caller.
   */
  attempts?: number;
  /** Delay (ms) before a retry, or BullMQ's `{ type, delay }`; default 0. */
  backoff?: number | { type: "fixed" | "exponential"; delay: number };
  /**
   * How often (ms) the caller refreshes its heartbeat (default 1000). Its
   * key lives three times as long; workers abort the jobs of a caller whose
   * heartbeat is gone.
   */
  heartbeatMs?: number;
  /**
   * How many times a job whose worker died (or stalled past its lock) may
   * run again: `0` gives at-most-once delivery (the call fails with
   * `WorkerError` instead of running twice). Default: the worker's setting
   * (BullMQ's `maxStalledCount`, 1), which is at-least-once.
   */
  maxStalledCount?: number;
  /** How often (ms) outstanding calls are checked against Redis (default 2000). */
  checkMs?: number;
  /**
   * How long (ms) Redis may stay unreachable before outstanding calls fail
   * with `WorkerError` (default 30000).
   */
  offlineMs?: number;
}

/** Options for {@linkcode RedisExecutor.run}. */
export interface RedisRunOptions {
  /** Aborting it stops the call like cancelling the task does. */
  signal?: AbortSignal;
  /**
   * An absolute deadline on `getRunningLoop().time()`'s scale: it travels
   * with the job (as wall-clock time), and a worker refuses a job whose
   * deadline has passed and stops one that runs past it. The deadlines of
   * the `timeout()`s around the call travel the same way (the earliest
   * wins), so this is only needed for a deadline of the job's own.
   */
  deadline?: number;
}

/** A snapshot of an executor, from {@linkcode RedisExecutor.stats}. */
export interface RedisExecutorStats {
  /** Calls whose jobs are queued or running. */
  inFlight: number;
  /** Calls waiting for room (`maxInFlight`). */
  waiting: number;
  /** Jobs added so far. */
  submitted: number;
  /** Calls that returned a value. */
  completed: number;
  /** Calls that threw (the function's error, or a `WorkerError`). */
  failed: number;
  /** Calls cancelled (their jobs removed or stopped remotely). */
  cancelled: number;
  /** Calls failed because Redis lost their job or stayed unreachable. */
  lost: number;
  /** Whether the executor's connection to Redis is up now. */
  connected: boolean;
}

// ---- Defaults and option checks ----------------------------------------------

const DEFAULTS = {
  url: "redis://127.0.0.1:6379",
  queue: "aio",
  maxInFlight: 1000,
  attempts: 1,
  heartbeatMs: 1000,
  checkMs: 2000,
  offlineMs: 30_000,
};

/** Most replies taken in one round trip after a blocking pop. */
const REPLY_BATCH = 256;

/** A call's second look after Redis did not know its job (ms). */
const LOST_GRACE_MS = 300;

function positive(value: unknown): string | undefined {
  return typeof value === "number" && value > 0 ? undefined : "must be > 0";
}

function positiveInteger(value: unknown): string | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0
    ? undefined
    : "must be a positive integer";
}

const OPTIONS = {
  url: "string",
  queue: "string",
  root: (v: unknown) =>
    typeof v === "string" || v instanceof URL
      ? undefined
      : "must be a path or URL",
  maxInFlight: positiveInteger,
  attempts: positiveInteger,
  backoff: (v: unknown) =>
    (typeof v === "number" && v >= 0) ||
      (v !== null && typeof v === "object" &&
        ["fixed", "exponential"].includes((v as { type: string }).type) &&
        typeof (v as { delay: unknown }).delay === "number")
      ? undefined
      : 'must be a delay in ms or { type: "fixed" | "exponential", delay }',
  heartbeatMs: positive,
  maxStalledCount: (v: unknown) =>
    typeof v === "number" && Number.isInteger(v) && v >= 0
      ? undefined
      : "must be a non-negative integer",
  checkMs: positive,
  offlineMs: positive,
} as const;

// ---- A remote call: the caller's wait ----------------------------------------

/** One call: the wait its caller is suspended on, and its job. */
class RemoteCall extends Wait<unknown> {
  /** The job was added (Redis has it, or had it). */
  added = false;
  /** Settles when the add settled (either way). */
  adding: Promise<void> | undefined;
  /** Cancelled by its caller (not failed). */
  abandoned = false;
  /** When Redis was first seen not to know the job (0: not seen). */
  missingSince = 0;
  onAbort: (() => void) | undefined;
  constructor(
    readonly engine: Engine,
    readonly id: string,
    readonly name: string,
    readonly data: JobData,
    readonly signal: AbortSignal | undefined,
    readonly loop: EventLoop | undefined,
  ) {
    super();
  }

  override arm(): void {
    this.engine.begin(this);
  }

  override disarm(): void {
    this.engine.abandon(this);
  }

  override wake(value: unknown): boolean {
    if (!super.wake(value)) return false;
    this.engine.end(this, "completed");
    return true;
  }

  override fail(error: unknown): boolean {
    if (!super.fail(error)) return false;
    this.engine.end(this, undefined);
    return true;
  }

  /** Fails the call as lost or failed by the engine. */
  failWith(error: WorkerError, lost: boolean): void {
    if (lost) this.engine.lost++;
    this.fail(error);
  }
}

// ---- The engine: connections, replies, checks --------------------------------

/** The executor's connections and bookkeeping (RedisExecutor is its face). */
class Engine {
  readonly url: string;
  readonly keys: Keys;
  readonly root: URL;
  readonly callerId = crypto.randomUUID();
  readonly maxInFlight: number;
  readonly attempts: number;
  readonly backoff:
    | { type: "fixed" | "exponential"; delay: number }
    | undefined;
  readonly heartbeatMs: number;
  readonly maxStalledCount: number;
  readonly checkMs: number;
  readonly offlineMs: number;
  readonly outstanding = new Map<string, RemoteCall>();
  readonly space: Room = new Room(() =>
    this.maxInFlight - this.outstanding.size
  );
  readonly drained = new WaitQueue<void>();
  readonly background = new Set<Promise<unknown>>();
  readonly loops = new Set<EventLoop>();
  seq = 0;
  closed = false;
  client: Redis | undefined;
  blocking: Redis | undefined;
  queue: Queue | undefined;
  replies: Promise<void> | undefined;
  ticker: ReturnType<typeof setInterval> | undefined;
  recheck: ReturnType<typeof setTimeout> | undefined;
  closing: Promise<void> | undefined;
  lastCheck = 0;
  checking = false;
  downSince: number | undefined;
  lastError: Error | undefined;
  everReady = false;
  submitted = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;
  lost = 0;

  constructor(options: RedisExecutorOptions) {
    const what = "RedisExecutor";
    checkOptions(options, OPTIONS, what);
    this.url = checkRedisUrl(options.url ?? DEFAULTS.url, what);
    this.keys = new Keys(checkQueueName(options.queue ?? DEFAULTS.queue, what));
    this.root = rootUrl(options.root ?? Deno.cwd(), what);
    this.maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
    this.attempts = options.attempts ?? DEFAULTS.attempts;
    const backoff = options.backoff;
    this.backoff = backoff === undefined
      ? undefined
      : typeof backoff === "number"
      ? { type: "fixed", delay: backoff }
      : { type: backoff.type, delay: backoff.delay };
    this.heartbeatMs = options.heartbeatMs ?? DEFAULTS.heartbeatMs;
    this.maxStalledCount = options.maxStalledCount ?? -1;
    this.checkMs = options.checkMs ?? DEFAULTS.checkMs;
    this.offlineMs = options.offlineMs ?? DEFAULTS.offlineMs;
  }

  get connected(): boolean {
    return this.client !== undefined && this.client.status === "ready";
  }

  // ---- connections ---------------------------------------------------------

  /** Opens the connections (once, lazily) and starts the reply loop. */
  open(): void {
    if (this.client !== undefined) return;
    const onError = (error: Error): void => {
      this.lastError = error;
    };
    const client = connect(this.url, onError);
    const blocking = connect(this.url, onError);
    this.client = client;
    this.blocking = blocking;
    this.everReady = false;
    this.downSince = Date.now();
    client.on("ready", () => {
      this.downSince = undefined;
      this.heartbeat();
      // After a reconnect, Redis may have lost jobs: look at once.
      if (this.everReady) this.check(true);
      this.everReady = true;
    });
    client.on("close", () => {
      this.downSince ??= Date.now();
    });
    this.queue = new Queue(this.keys.queue, {
      connection: client,
      skipVersionCheck: true,
    });
    this.queue.on("error", onError);
    this.replies = this.readReplies(blocking);
    this.ticker = setInterval(() => this.tick(), this.heartbeatMs);
  }

  /** Closes the connections (the executor may open them again later). */
  shutdown(): Promise<void> {
    if (this.client === undefined) return Promise.resolve();
    this.closing ??= this.#shutdown().finally(() => {
      this.closing = undefined;
    });
    return this.closing;
  }

  async #shutdown(): Promise<void> {
    const client = this.client!;
    clearInterval(this.ticker);
    clearTimeout(this.recheck);
    this.ticker = this.recheck = undefined;
    // Remote cancels already sent are allowed to land.
    while (this.background.size > 0) {
      await Promise.allSettled([...this.background]);
    }
    const queue = this.queue!;
    const blocking = this.blocking!;
    const replies = this.replies!;
    this.client =
      this.blocking =
      this.queue =
      this.replies =
        undefined;
    try {
      if (client.status === "ready") {
        await within(client.del(this.keys.caller(this.callerId)), 200);
      }
    } catch {
      // Redis is gone: the heartbeat key expires by itself.
    }
    // BullMQ does not close the clients it was given: we do.
    await within(queue.close(), 500);
    blocking.disconnect();
    client.disconnect();
    // A BRPOP queued while Redis was unreachable is never settled by
    // ioredis' disconnect(): do not wait for it long.
    await within(replies, 200);
    // ioredis ends its sockets on a later turn.
    await new Promise((resolve) => setTimeout(resolve, DISCONNECT_SETTLE_MS));
  }

  async readReplies(blocking: Redis): Promise<void> {
    const key = this.keys.reply(this.callerId);
    while (this.blocking === blocking) {
      try {
        const popped = await blocking.brpopBuffer(key, 0) as
          | [Uint8Array, Uint8Array]
          | null;
        if (popped === null) continue;
        this.onReply(popped[1]);
        // More waiting behind it: take a batch in one round trip.
        const [[, batch]] = await blocking.multi()
          .lrangeBuffer(key, -REPLY_BATCH, -1)
          .ltrim(key, 0, -REPLY_BATCH - 1)
          .exec() as [[Error | null, Uint8Array[]], unknown];
        // LRANGE lists newest first: the oldest is at the end.
        for (let i = batch.length - 1; i >= 0; i--) this.onReply(batch[i]);
      } catch {
        if (this.blocking !== blocking) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  onReply(bytes: Uint8Array): void {
    const reply = decodeReply(bytes);
    if (reply === undefined) return;
    const [id, outcome, payload] = reply;
    const call = this.outstanding.get(id);
    if (call === undefined) return; // cancelled, or a second delivery
    if (outcome === Outcome.Ok) {
      call.wake(payload);
    } else if (outcome === Outcome.Error) {
      call.fail(rebuildRemoteError(payload as SerializedError));
    } else {
      call.failWith(new WorkerError(String(payload)), false);
    }
  }

  heartbeat(): void {
    const client = this.client;
    if (client === undefined || client.status !== "ready") return;
    client.set(
      this.keys.caller(this.callerId),
      "1",
      "PX",
      Math.ceil(this.heartbeatMs * 3),
    ).catch(() => {});
  }

  tick(): void {
    this.heartbeat();
    const t = Date.now();
    if (
      this.downSince !== undefined && t - this.downSince >= this.offlineMs &&
      this.outstanding.size > 0
    ) {
      const error = new WorkerError(
        `Redis at ${showUrl(this.url)} has been unreachable for ${
          ((t - this.downSince) / 1000).toFixed(1)
        } s${
          this.lastError !== undefined ? ` (${this.lastError.message})` : ""
        }: the call's outcome is unknown`,
      );
      for (const call of [...this.outstanding.values()]) {
        call.failWith(error, true);
      }
      return;
    }
    if (t - this.lastCheck >= this.checkMs) this.check(false);
  }

  /**
   * Asks Redis about every outstanding job: one it no longer has (twice,
   * LOST_GRACE_MS apart, so that a reply on its way is not mistaken) or
   * that failed in the engine fails its call with `WorkerError`.
   */
  check(again: boolean): void {
    if (this.checking || this.queue === undefined || !this.connected) return;
    const queue = this.queue;
    this.checking = true;
    this.lastCheck = Date.now();
    const calls = [...this.outstanding.values()].filter((call) => call.added);
    const client = this.client!;
    const work = (async () => {
      // Replies still waiting to be read: a job Redis no longer has may
      // have its reply among them, so none is suspected this round.
      const backlog = await client.llen(this.keys.reply(this.callerId));
      if (backlog > 0) return;
      // One pipelined HMGET per job (not a script each): cheap enough to
      // run every few seconds with thousands of calls in flight.
      const pipeline = client.pipeline();
      for (const call of calls) {
        pipeline.hmget(
          queue.toKey(call.id),
          "name",
          "finishedOn",
          "failedReason",
        );
      }
      const results = await pipeline.exec() ?? [];
      calls.forEach((call, i) => {
        const [error, fields] = results[i] ?? [null, null];
        if (error === null && Array.isArray(fields)) {
          this.checkCall(call, fields as (string | null)[], () => again = true);
        }
      });
    })().catch(() => {
      // Redis went away meanwhile: the next tick or reconnect looks again.
    }).finally(() => {
      this.checking = false;
      if (
        again && this.outstanding.size > 0 && this.client !== undefined &&
        this.recheck === undefined
      ) {
        this.recheck = setTimeout(() => {
          this.recheck = undefined;
          this.check(false);
        }, LOST_GRACE_MS);
        Deno.unrefTimer(this.recheck!);
      }
    });
    this.track(work);
  }

  /** One call's job as Redis has it: [name, finishedOn, failedReason]. */
  checkCall(
    call: RemoteCall,
    [name, finishedOn, failedReason]: (string | null)[],
    again: () => void,
  ): void {
    if (call.settled) return;
    if (name === null || (finishedOn !== null && failedReason === null)) {
      // No job, or done with no reply (yet): look again shortly.
      const t = Date.now();
      if (call.missingSince === 0) {
        call.missingSince = t;
        again();
      } else if (t - call.missingSince >= LOST_GRACE_MS) {
        call.failWith(
          new WorkerError(
            `The job was lost: Redis no longer has job ${call.id} of queue "${this.keys.queue}" (restarted without persistence, flushed or evicted?), so its outcome is unknown`,
          ),
          true,
        );
      } else again();
    } else if (finishedOn !== null) {
      // Failed for good in the engine (our workers reply to their own
      // failures): a stall, a refused or stopped job.
      const message = /stalled/i.test(failedReason!)
        ? `The job stalled more often than allowed (its worker died or blocked while running it): ${failedReason}`
        : `The job failed in the queue: ${failedReason}`;
      call.failWith(new WorkerError(message), false);
    } else {
      call.missingSince = 0;
    }
  }

  track(promise: Promise<unknown>): void {
    this.background.add(promise);
    promise.finally(() => this.background.delete(promise));
  }

  // ---- calls ---------------------------------------------------------------

  begin(call: RemoteCall): void {
    this.outstanding.set(call.id, call);
    if (call.signal !== undefined) {
      const signal = call.signal;
      call.onAbort = () => {
        call.disarm();
        call.fail(signal.reason);
      };
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    this.open();
    this.submitted++;
    const options: Record<string, unknown> = {
      jobId: call.id,
      attempts: this.attempts,
      removeOnComplete: true,
      removeOnFail: { age: 600, count: 1000 },
    };
    if (this.backoff !== undefined) options.backoff = this.backoff;
    call.adding = this.queue!.add(call.name, call.data, options).then(
      () => {
        call.added = true;
      },
      (error: unknown) => {
        call.failWith(
          new WorkerError(
            `Cannot add the job to the queue at ${showUrl(this.url)}: ${
              error instanceof Error ? error.message : String(error)
            }`,
            { cause: error },
          ),
          false,
        );
      },
    );
  }

  /** The call was cancelled: stop its job remotely, in the background. */
  abandon(call: RemoteCall): void {
    if (!this.outstanding.has(call.id) || call.abandoned) return;
    call.abandoned = true;
    this.cancelled++;
    this.track(this.cancelRemote(call));
  }

  async cancelRemote(call: RemoteCall): Promise<void> {
    const client = this.client;
    const queue = this.queue;
    if (client === undefined || queue === undefined) return;
    try {
      // The flag first (a worker picking the job up now sees it), then the
      // message (a worker running it aborts), then the removal (a job still
      // waiting never runs). The add must have landed for the removal.
      await client.multi()
        .set(this.keys.cancel(call.id), "1", "PX", REPLY_TTL_MS)
        .publish(this.keys.channel, call.id)
        .exec();
      await call.adding;
      if (call.added) await queue.remove(call.id).catch(() => 0);
    } catch {
      // Redis is gone; the worker sees the caller's heartbeat stop.
    }
  }

  end(call: RemoteCall, outcome: "completed" | undefined): void {
    if (!this.outstanding.delete(call.id)) return;
    if (outcome === "completed") this.completed++;
    else if (!call.abandoned) this.failed++;
    if (call.onAbort !== undefined) {
      call.signal!.removeEventListener("abort", call.onAbort);
    }
    this.space.wake();
    if (this.outstanding.size === 0) this.drained.unparkAll();
  }

  attach(loop: EventLoop): void {
    if (this.loops.has(loop)) return;
    this.loops.add(loop);
    loop._addCleanup(async () => {
      this.loops.delete(loop);
      const error = new CancelledError("run() ended");
      for (const call of [...this.outstanding.values()]) {
        if (call.loop === loop) {
          call.disarm();
          call.fail(error);
        }
      }
      if (this.loops.size === 0) await this.shutdown();
    });
  }

  newId(): string {
    return `${this.callerId}-${++this.seq}`;
  }
}

// ---- The executor ------------------------------------------------------------

const NO_OPTIONS: RedisRunOptions = Object.freeze({});

/**
 * Runs functions of modules (or self-contained functions) on worker
 * processes anywhere, through a BullMQ queue on Redis, with aio's
 * guarantees. A call is a job with an id made here; its worker runs it in
 * a local `WorkerPool` isolate or subprocess and pushes the outcome to a
 * reply list of this executor, so no completion is missed.
 *
 * - **Cancelling** the calling task (its scope, a `timeout()`, or the
 *   call's `signal`) answers the caller at once with `CancelledError` (or
 *   `TimeoutError`), removes the job if it is still waiting, and stops it
 *   on the worker running it (the isolate or process is ended).
 * - **Errors** keep their class, message, cause, data and worker-side
 *   stack, as with `WorkerPool`. Engine failures are `WorkerError`s that
 *   say what happened: the job was lost, stalled too often, or Redis stayed
 *   unreachable. Outstanding calls are checked on every reconnect and every
 *   `checkMs`, so no call hangs because Redis lost its job.
 * - **Delivery** is at-least-once when a worker dies mid-job (BullMQ runs a
 *   stalled job again); `maxStalledCount: 0` makes it at-most-once.
 * - **Structure**: the caller keeps a heartbeat (workers stop the jobs of a
 *   caller that died), and the connections close when the executor is
 *   disposed (`await using`) or the `run()` that used it ends.
 *
 * Needs `--allow-env` (whole: ioredis reads the environment) and
 * `--allow-net` for the Redis host.
 *
 * Mirrors `loop.run_in_executor(executor, fn)` with a distributed executor
 * (Celery, Dask, Ray for asyncio).
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { RedisExecutor } from "@seed/aio/redis";
 *
 * await run(async () => {
 *   await using remote = new RedisExecutor({
 *     url: "redis://127.0.0.1:6379",
 *     queue: "jobs",
 *     root: new URL("./", import.meta.url),
 *   });
 *   // Nothing connects until the first call, e.g.
 *   //   await remote.wrap<typeof import("./math.ts")>("math.ts").fib(30)
 *   console.log(remote.stats().inFlight); // 0
 * });
 * ```
 */
export class RedisExecutor implements Executor, AsyncDisposable {
  readonly #engine: Engine;

  /**
   * Makes an executor; nothing connects until the first call.
   * @param options `url`, `queue`, `root`, `maxInFlight`, `attempts`, `backoff`, `heartbeatMs`, `maxStalledCount`, `checkMs`, `offlineMs`.
   * @throws {TypeError} On an unknown option or a value of the wrong type.
   */
  constructor(options: RedisExecutorOptions = {}) {
    this.#engine = new Engine(options);
  }

  /** The queue's name. */
  get queue(): string {
    return this.#engine.keys.queue;
  }

  /** The module root, as a directory URL. */
  get root(): URL {
    return new URL(this.#engine.root.href);
  }

  /** Whether `close()` or `terminate()` was called. */
  get closed(): boolean {
    return this.#engine.closed;
  }

  /**
   * A snapshot: calls in flight and waiting for room, counters since the
   * executor was made, and whether Redis is connected.
   * @returns The numbers.
   */
  stats(): RedisExecutorStats {
    const e = this.#engine;
    return {
      inFlight: e.outstanding.size,
      waiting: e.space.waiting,
      submitted: e.submitted,
      completed: e.completed,
      failed: e.failed,
      cancelled: e.cancelled,
      lost: e.lost,
      connected: e.connected,
    };
  }

  /**
   * Calls `exportName(...args)` of the module at `moduleUrl` (inside the
   * root) on a worker and returns its result. Arguments and result travel
   * in the structured-clone format. A cancellation point.
   *
   * Mirrors `loop.run_in_executor(executor, module.func, *args)`.
   *
   * @param moduleUrl The module: a URL inside the root, or a path relative to it.
   * @param exportName The exported function to call.
   * @param args Its arguments.
   * @param options `signal`, `deadline`.
   * @returns What the function returned.
   * @throws {TypeError} On bad arguments, or arguments that cannot be cloned.
   * @throws {RangeError} If the module is outside the root (`..`, another scheme or host).
   * @throws {InvalidStateError} If the executor is closed.
   * @throws {CancelledError} If the calling task is cancelled meanwhile.
   * @throws {WorkerError} If the job was lost, stalled too often, or Redis stayed unreachable.
   *
   * @example
   * ```ts ignore
   * import { run } from "@seed/aio";
   * import { RedisExecutor } from "@seed/aio/redis";
   * await run(async () => {
   *   await using remote = new RedisExecutor({ root: "./jobs" });
   *   console.log(await remote.run<number>("math.ts", "add", [2, 3])); // 5
   * });
   * ```
   */
  run<T = unknown>(
    moduleUrl: string | URL,
    exportName: string,
    args: readonly unknown[] = [],
    options?: RedisRunOptions,
  ): Promise<T> {
    const what = "RedisExecutor.run()";
    const path = relativeModule(this.#engine.root, moduleUrl, what);
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError(
        `${what}: exportName must be a non-empty string, got ${
          show(exportName)
        }`,
      );
    }
    if (!Array.isArray(args)) {
      throw new TypeError(`${what}: args must be an array, got ${show(args)}`);
    }
    const opts = checkOptions(options, {
      signal: (v) =>
        v instanceof AbortSignal ? undefined : "must be an AbortSignal",
      deadline: (v) =>
        typeof v === "number" && !Number.isNaN(v)
          ? undefined
          : "must be a number",
    }, what) ?? NO_OPTIONS;
    return this.#call(
      exportName,
      { p: path, n: exportName },
      args,
      opts,
      what,
    ) as Promise<T>;
  }

  /**
   * Runs the self-contained function `fn(...args)` on a worker: `fn`
   * travels as source text (no closures). Workers refuse source text
   * unless started with `--allow-source` (`allowSource: true`), since it
   * runs with the worker's permissions.
   *
   * Mirrors `concurrent.futures.Executor.submit(fn, *args)`.
   *
   * @param fn A self-contained function.
   * @param args Its arguments (structured-cloneable).
   * @returns What `fn` returned.
   * @throws {TypeError} If `fn` has no source (native, bound, a class).
   * @throws {WorkerError} If the worker refuses source text.
   *
   * @example
   * ```ts ignore
   * import { getRunningLoop, run } from "@seed/aio";
   * import { RedisExecutor } from "@seed/aio/redis";
   * await run(async () => {
   *   await using remote = new RedisExecutor();
   *   const loop = getRunningLoop();
   *   console.log(await loop.runInExecutor(remote, (n: number) => n * 2, 21)); // 42
   * });
   * ```
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Promise<Awaited<R>> {
    const what = "RedisExecutor.submit()";
    const source = functionSource(fn, what);
    return this.#call(
      fn.name || "(function)",
      { s: source },
      args,
      NO_OPTIONS,
      what,
    ) as Promise<Awaited<R>>;
  }

  /**
   * A typed proxy for a module: `wrap<typeof import("./m.ts")>(url).f(x)`
   * is `run(url, "f", [x])`.
   *
   * @param moduleUrl The module, inside the root.
   * @returns The proxy.
   * @throws {RangeError} If the module is outside the root.
   *
   * @example
   * ```ts ignore
   * import { run } from "@seed/aio";
   * import { RedisExecutor } from "@seed/aio/redis";
   * await run(async () => {
   *   await using remote = new RedisExecutor({ root: new URL("./", import.meta.url) });
   *   const math = remote.wrap<typeof import("./math.ts")>("./math.ts");
   *   console.log(await math.add(1, 2)); // 3
   * });
   * ```
   */
  wrap<M extends object>(moduleUrl: string | URL): Wrapped<M> {
    const root = this.#engine.root;
    const path = relativeModule(root, moduleUrl, "RedisExecutor.wrap()");
    const url = new URL(path, root);
    return wrapModule<M>((name, args) => this.run(url, name, args));
  }

  /**
   * Stops taking calls, waits for the calls in flight, then closes the
   * connections. A cancellation point: a cancelled caller terminates
   * instead.
   *
   * Mirrors `Executor.shutdown(wait=True)`.
   *
   * @returns Once the connections are closed.
   */
  async close(): Promise<void> {
    const engine = this.#engine;
    engine.closed = true;
    engine.space.rejectAll(closedError());
    try {
      if (engine.outstanding.size > 0) {
        await engine.drained.park(currentScope());
      }
    } finally {
      await this.terminate();
    }
  }

  /**
   * Cancels every call in flight (their jobs are stopped remotely) and
   * closes the connections.
   *
   * Mirrors `Executor.shutdown(wait=False, cancel_futures=True)`.
   *
   * @returns Once the connections are closed.
   */
  async terminate(): Promise<void> {
    const engine = this.#engine;
    engine.closed = true;
    engine.space.rejectAll(closedError());
    const error = new CancelledError("RedisExecutor terminated");
    for (const call of [...engine.outstanding.values()]) {
      call.disarm();
      call.fail(error);
    }
    await engine.shutdown();
  }

  /**
   * `await using remote = new RedisExecutor(...)`: `close()` when the block
   * ends; a cancelled caller does not wait (calls are cancelled) and gets
   * no second `CancelledError` from here.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.close();
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
  }

  #call(
    name: string,
    target: Pick<JobData, "p" | "n" | "s">,
    args: readonly unknown[],
    options: RedisRunOptions,
    what: string,
  ): Promise<unknown> {
    const engine = this.#engine;
    if (engine.closed) return Promise.reject(closedError());
    const scope = currentScope();
    if (scope !== undefined && scope.cancelled) {
      return Promise.reject(scope.deliver());
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let encoded: string;
    try {
      encoded = encodeArgs(args);
    } catch (error) {
      return Promise.reject(
        new TypeError(
          `${what}: cannot send the arguments: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        ),
      );
    }
    // The earlier of the explicit deadline and the timeouts around the
    // caller travels as an absolute wall-clock time.
    const until = Math.min(options.deadline ?? Infinity, currentDeadline());
    let deadline = 0;
    if (until !== Infinity) deadline = Date.now() + (until - now());
    const data: JobData = {
      v: 1,
      c: engine.callerId,
      a: encoded,
      d: deadline,
      m: engine.maxStalledCount,
      ...target,
    };
    const loop = scope?.loop as EventLoop | undefined;
    if (loop !== undefined && !loop.closed) engine.attach(loop);
    if (engine.space.open()) {
      return this.#start(name, data, scope, loop, signal);
    }
    return this.#startWhenRoom(name, data, scope, loop, signal);
  }

  #start(
    name: string,
    data: JobData,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const engine = this.#engine;
    const call = new RemoteCall(
      engine,
      engine.newId(),
      name,
      data,
      signal,
      loop,
    );
    return suspend(call, scope, "remote", call);
  }

  async #startWhenRoom(
    name: string,
    data: JobData,
    scope: Scope | undefined,
    loop: EventLoop | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const engine = this.#engine;
    await engine.space.enter(
      scope,
      signal,
      "RedisExecutor.run()",
      () => engine.closed ? closedError() : undefined,
    );
    return this.#start(name, data, scope, loop, signal);
  }
}

function closedError(): InvalidStateError {
  return new InvalidStateError("Cannot run: the RedisExecutor is closed");
}
