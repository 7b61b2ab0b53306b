// Argument and option checks of WorkerPool and SubprocessExecutor: clear
// TypeErrors and RangeErrors before anything starts.

import { checkOptions, type OptionSpec, show } from "../_core/_checks.ts";
import type { WorkerPoolOptions, WorkerRunOptions } from "./types.ts";

/** The checked options of a pool, defaults filled in. */
export interface PoolSettings {
  size: number;
  idleTimeoutMs: number;
  maxQueue: number;
  permissions: Deno.PermissionOptions;
  name: string | undefined;
}

const DEFAULT_IDLE_TIMEOUT_MS = 1000;
const DEFAULT_MAX_QUEUE = 1024;

function notNaN(value: unknown): string | undefined {
  return typeof value !== "number" || Number.isNaN(value)
    ? "must be a number"
    : undefined;
}

/** The options every pool takes (SubprocessExecutor adds its own). */
export const POOL_OPTIONS: Record<string, OptionSpec> = {
  size: "number",
  idleTimeoutMs: (value) =>
    notNaN(value) === undefined
      ? undefined
      : "must be a number of milliseconds",
  maxQueue: notNaN,
  permissions: (value) =>
    value === "inherit" || value === "none" ||
      (value !== null && typeof value === "object")
      ? undefined
      : 'must be "inherit", "none" or an object',
  name: "string",
};

/** Checks a pool's options and fills in the defaults. */
export function checkPoolOptions(
  options: WorkerPoolOptions,
  what: string,
  spec: Record<string, OptionSpec> = POOL_OPTIONS,
): PoolSettings {
  if (options === undefined) options = {};
  checkOptions(options, spec, what);
  const {
    size = navigator.hardwareConcurrency || 1,
    idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
    maxQueue = DEFAULT_MAX_QUEUE,
    permissions = "inherit",
    name,
  } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `${what}: size must be a positive integer, got ${size}`,
    );
  }
  if (
    maxQueue < 0 || (!Number.isInteger(maxQueue) && maxQueue !== Infinity)
  ) {
    throw new RangeError(
      `${what}: maxQueue must be a non-negative integer or Infinity, got ${maxQueue}`,
    );
  }
  return {
    size,
    idleTimeoutMs: Math.max(0, idleTimeoutMs),
    maxQueue,
    permissions,
    name,
  };
}

const parsedUrls = new Map<string, string>();

/** A module URL as an absolute href, or a TypeError saying how to make one. */
export function checkModuleUrl(url: unknown, what: string): string {
  if (url instanceof URL) return url.href;
  if (typeof url !== "string") {
    throw new TypeError(
      `${what}: moduleUrl must be a string or URL, got ${show(url)}`,
    );
  }
  // Parsing a URL on every call shows in the round trip: remember a few.
  const cached = parsedUrls.get(url);
  if (cached !== undefined) return cached;
  try {
    const href = new URL(url).href;
    if (parsedUrls.size >= 64) parsedUrls.clear();
    parsedUrls.set(url, href);
    return href;
  } catch {
    throw new TypeError(
      `${what}: moduleUrl must be an absolute URL, got ${
        show(url)
      }; use new URL("../module.ts", import.meta.url)`,
    );
  }
}

/** Checks `run()`'s export name and arguments. */
export function checkCall(
  exportName: unknown,
  args: unknown,
  what: string,
): void {
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      `${what}: exportName must be a non-empty string, got ${show(exportName)}`,
    );
  }
  if (!Array.isArray(args)) {
    throw new TypeError(`${what}: args must be an array, got ${show(args)}`);
  }
}

const NO_OPTIONS: WorkerRunOptions = Object.freeze({});

const RUN_OPTIONS: Record<string, OptionSpec> = {
  transfer: (value) => Array.isArray(value) ? undefined : "must be an array",
  signal: (value) =>
    value instanceof AbortSignal ? undefined : "must be an AbortSignal",
};

/** Checks `run()`'s options. */
export function checkRunOptions(
  options: unknown,
  what: string,
): WorkerRunOptions {
  if (options === undefined) return NO_OPTIONS;
  return checkOptions(options as WorkerRunOptions, RUN_OPTIONS, what);
}
