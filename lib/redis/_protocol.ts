// What callers (RedisExecutor) and workers (serveRedisWorker) agree on: the
// Redis keys beside BullMQ's own, the job record, how values and errors
// travel, and how module URLs are confined to the shared root.
//
// Keys (all under `aio:<queue>:`; BullMQ's are under `bull:<queue>:`):
//   reply:<caller>   a list the caller BRPOPs; workers LPUSH one frame per
//                    finished job (job id, outcome, value or error)
//   caller:<caller>  the caller's heartbeat (a key with a TTL)
//   cancel:<job>     a flag: the caller gave up on this job
//   cancel           the pub/sub channel carrying cancelled job ids
// Job ids are made by the caller: `<caller>-<n>` (BullMQ refuses ':').

import { Buffer } from "node:buffer";
import { pathToFileURL } from "node:url";
import { deserialize, serialize } from "node:v8";
import { Redis, type RedisOptions } from "ioredis";
import { rebuildError, type SerializedError } from "../workers/_errors_wire.ts";
import { WorkerError } from "../workers/worker_error.ts";

/** The job record BullMQ stores (as JSON) for one call. */
export interface JobData {
  /** Protocol version. */
  v: 1;
  /** The caller's id (its reply list and heartbeat key). */
  c: string;
  /** Module path relative to the root (a module call). */
  p?: string;
  /** Function source text (a `submit` call). */
  s?: string;
  /** The export to call (module calls). */
  n?: string;
  /** The arguments, V8-serialised (structured clone), base64. */
  a: string;
  /** Absolute deadline, ms since the epoch; 0 for none. */
  d: number;
  /** Runs after a stall this job allows (-1: the worker's setting). */
  m: number;
}

/** What a reply frame carries. */
export const enum Outcome {
  Ok = 0,
  Error = 1,
  Engine = 2,
}

/** One reply: [job id, outcome, value | SerializedError | message]. */
export type Reply = [string, Outcome, unknown];

/** The key names of one queue. */
export class Keys {
  readonly prefix: string;
  readonly channel: string;
  constructor(readonly queue: string) {
    this.prefix = `aio:${queue}:`;
    this.channel = `${this.prefix}cancel`;
  }
  reply(caller: string): string {
    return `${this.prefix}reply:${caller}`;
  }
  caller(caller: string): string {
    return `${this.prefix}caller:${caller}`;
  }
  cancel(job: string): string {
    return `${this.prefix}cancel:${job}`;
  }
}

/** How long a finished call's reply list and cancel flags are kept. */
export const REPLY_TTL_MS = 10 * 60_000;

/** Encodes call arguments for the job record. */
export function encodeArgs(args: readonly unknown[]): string {
  return Buffer.from(serialize(args)).toString("base64");
}

/** Decodes call arguments from the job record. */
export function decodeArgs(text: string): unknown[] {
  const args = deserialize(Buffer.from(text, "base64"));
  if (!Array.isArray(args)) throw new TypeError("Malformed job arguments");
  return args;
}

/** Encodes a reply frame. */
export function encodeReply(reply: Reply): Buffer {
  return Buffer.from(serialize(reply));
}

/** Decodes a reply frame, or undefined if it is not one. */
export function decodeReply(bytes: Uint8Array): Reply | undefined {
  try {
    const reply = deserialize(bytes);
    if (
      Array.isArray(reply) && reply.length === 3 &&
      typeof reply[0] === "string" && typeof reply[1] === "number"
    ) return reply as Reply;
  } catch {
    // Not ours.
  }
  return undefined;
}

/**
 * Rebuilds an error that came back from a worker, like `WorkerPool` does;
 * a `WorkerError` raised by the worker's local pool stays one `WorkerError`.
 */
export function rebuildRemoteError(data: SerializedError): unknown {
  if (data.isError && data.ctor === "WorkerError") {
    const cause = data.cause !== undefined
      ? rebuildRemoteError(data.cause)
      : undefined;
    const error = new WorkerError(
      data.message,
      cause !== undefined ? { cause } : undefined,
    );
    if (data.stack !== undefined) error.stack = data.stack;
    if (data.props !== undefined) Object.assign(error, data.props);
    return error;
  }
  return rebuildError(data);
}

/** The root as a directory URL (trailing slash); a path or a URL. */
export function rootUrl(root: unknown, what: string): URL {
  let url: URL;
  if (root instanceof URL) url = new URL(root.href);
  else if (typeof root === "string" && root !== "") {
    url =
      /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(root) && !/^[a-zA-Z]:[\\/]/.test(root)
        ? new URL(root)
        : pathToFileURL(root);
  } else {
    throw new TypeError(
      `${what}: root must be a directory path or URL, got ${String(root)}`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new TypeError(`${what}: root must not have a query or hash`);
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/**
 * A module URL as the path that travels: relative to `root`, normalised,
 * never escaping it (a `..` segment, another scheme or host, a query).
 * Relative input is taken relative to the root.
 */
export function relativeModule(
  root: URL,
  moduleUrl: unknown,
  what: string,
): string {
  let url: URL;
  if (moduleUrl instanceof URL) url = moduleUrl;
  else if (typeof moduleUrl === "string" && moduleUrl !== "") {
    if (hasDotDot(moduleUrl)) {
      throw new RangeError(
        `${what}: module path ${
          JSON.stringify(moduleUrl)
        } has a ".." segment; module paths must stay inside the root ${root.href}`,
      );
    }
    url = new URL(moduleUrl, root);
  } else {
    throw new TypeError(
      `${what}: moduleUrl must be a string or URL, got ${
        typeof moduleUrl === "string" ? '""' : String(moduleUrl)
      }`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new RangeError(
      `${what}: module URL ${url.href} has a query or hash; only plain paths travel`,
    );
  }
  if (!url.href.startsWith(root.href) || url.href === root.href) {
    throw new RangeError(
      `${what}: module ${url.href} is outside the executor's root ${root.href}; workers only load modules under the root`,
    );
  }
  return url.href.slice(root.href.length);
}

/** The worker's check: a travelled path back to a URL inside `root`. */
export function resolveModule(root: URL, path: unknown): URL {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("The job names no module path");
  }
  if (
    hasDotDot(path) || path.startsWith("/") || path.includes("\\") ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.includes("?") ||
    path.includes("#")
  ) {
    throw new RangeError(
      `The worker refuses module path ${
        JSON.stringify(path)
      }: only paths inside its root ${root.href} are allowed`,
    );
  }
  const url = new URL(path, root);
  if (!url.href.startsWith(root.href) || url.href === root.href) {
    throw new RangeError(
      `The worker refuses module path ${
        JSON.stringify(path)
      }: it resolves outside its root ${root.href}`,
    );
  }
  return url;
}

function hasDotDot(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => {
    const s = segment.toLowerCase().replaceAll("%2e", ".");
    return s === ".." || s === ".";
  });
}

/** ioredis' wait for a closing socket before destroying it. */
const DISCONNECT_TIMEOUT_MS = 50;

/** How long to wait after disconnecting so that ioredis' timers are done. */
export const DISCONNECT_SETTLE_MS: number = DISCONNECT_TIMEOUT_MS + 10;

/** Options for every ioredis client made here. */
export function clientOptions(): RedisOptions {
  return {
    // BullMQ's workers need it; callers handle an unreachable Redis
    // themselves (offlineMs), so commands wait for the reconnect.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * times, 500),
    lazyConnect: false,
    // ioredis leaves a timer of this length behind when it disconnects a
    // socket that never opened: keep it short (see DISCONNECT_SETTLE_MS).
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/** A client; its errors are recorded, never left unhandled. */
export function connect(
  url: string,
  onError?: (error: Error) => void,
): Redis {
  const client = new Redis(url, clientOptions());
  client.on("error", (error: Error) => onError?.(error));
  return client;
}

/** Checks a Redis URL option. */
export function checkRedisUrl(url: unknown, what: string): string {
  if (typeof url !== "string") {
    throw new TypeError(`${what}: url must be a string, got ${String(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `${what}: url must be a redis:// or rediss:// URL, got ${
        JSON.stringify(url)
      }`,
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(
      `${what}: url must be a redis:// or rediss:// URL, got ${
        JSON.stringify(url)
      }`,
    );
  }
  return url;
}

/** Checks a queue name option (BullMQ's rules: no ':'). */
export function checkQueueName(queue: unknown, what: string): string {
  if (typeof queue !== "string" || queue === "" || queue.includes(":")) {
    throw new TypeError(
      `${what}: queue must be a non-empty string without ":", got ${
        typeof queue === "string" ? JSON.stringify(queue) : String(queue)
      }`,
    );
  }
  return queue;
}

/** A URL with its password hidden, for messages. */
export function showUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "(bad url)";
  }
}

/** Waits for `promise` (its failure ignored), but at most `ms`. */
export async function within(
  promise: Promise<unknown>,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise.catch(() => {}),
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
