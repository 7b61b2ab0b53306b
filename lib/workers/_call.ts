// A call to a worker: what to run (a Job), and the Call object that is at
// once the caller's wait (through the one wait primitive, `suspend`) and
// the pool's record of the call. Also the message that sends a job to a
// worker, as short as the worker's history allows.

import { Wait } from "../_core/_trap.ts";
import type { CancelledError } from "../errors.ts";
import type { EventLoop } from "../event_loop.ts";
import type { Queued } from "./_call_queue.ts";
import type { Slot } from "./_slot.ts";

/** A pool's worker record, running Calls. */
export type PoolSlot = Slot<Call>;
import type { CallMessage, Scalar } from "./_worker_host.ts";

/** What to run: a module export or a function source, with arguments. */
export interface Job {
  /** The pool's number for the module URL or the source (-1: none). */
  target: number;
  /** The module URL, or the function source. */
  text: string;
  /** The export to call; undefined for a function source. */
  name: string | undefined;
  args: unknown[];
}

/** What a Call needs of its pool (one object per pool, not per call). */
export interface CallSite {
  /** The call's wait was armed: dispatch or queue it. */
  start(call: Call): void;
  /** Stop the call (leave the queue, or terminate its worker), then fail it. */
  cancel(call: Call, error: unknown): void;
}

/**
 * A call: the caller's wait (through `suspend`, kind "worker", or
 * "process" for a SubprocessExecutor) and the pool's record of it, in one
 * object. Armed, it is dispatched to a worker or queued; cancelled, it
 * leaves the queue or its worker is terminated.
 */
export class Call extends Wait<unknown> implements Queued {
  /** In the pool's queue (not yet dispatched, not removed). */
  queued = false;
  /** The worker running it; undefined while queued. */
  slot: PoolSlot | undefined = undefined;
  /** Armed: handed to the pool (counted in its stats). */
  armed = false;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly site: CallSite,
    readonly job: Job,
    public transfer: Transferable[] | undefined,
    readonly loop: EventLoop | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    super();
  }

  override arm(): void {
    this.armed = true;
    this.site.start(this);
  }

  override cancel(error: CancelledError): void {
    this.site.cancel(this, error);
  }

  /** For the task tree and traces. */
  describe(): string {
    const what = this.job.name === undefined
      ? "a function"
      : `${this.job.name}() of ${this.job.text}`;
    const state = this.slot !== undefined ? "running" : "queued";
    return `a worker call to ${what} (${state})`;
  }
}

function isScalar(value: unknown): boolean {
  return value !== null && typeof value !== "object" &&
    typeof value !== "function";
}

/**
 * The message that sends `job` to the worker of `slot`: the same function
 * as last time on this worker, just the arguments (one scalar argument
 * bare); otherwise its number, and its text if this worker never saw it.
 */
export function callMessage(
  slot: PoolSlot,
  job: Job,
): CallMessage | unknown[] | Scalar {
  const same = job.target !== -1 && job.target === slot.lastTarget &&
    job.name === slot.lastName;
  const args = job.args;
  if (!same) {
    const known = slot.known.has(job.target);
    return {
      target: job.target,
      text: known ? undefined : job.text,
      name: job.name,
      args,
    };
  }
  return args.length === 1 && isScalar(args[0]) ? args[0] as Scalar : args;
}

/** Records that `job` reached the worker of `slot` (for the next message). */
export function sent(
  slot: PoolSlot,
  job: Job,
  loop: EventLoop | undefined,
): void {
  slot.calls++;
  slot.loop = loop;
  if (job.target !== -1) slot.known.add(job.target);
  slot.lastTarget = job.target;
  slot.lastName = job.name;
}
