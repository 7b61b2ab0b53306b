// Small pieces shared by the stream reader, writer and server.

import { now } from "../_core/_timers.ts";
import { show } from "../_core/_checks.ts";

/** When bytes last moved on a connection (for idle timeouts). */
export class Activity {
  last: number = now();

  /** Notes that bytes moved now. */
  touch(): void {
    this.last = now();
  }
}

/**
 * Whether a socket error only says that this side closed the socket while
 * an operation was under way (the stream simply ended).
 */
export function isLocalClose(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

const encoder = new TextEncoder();

/** Validates a byte-count option; `undefined` gives `fallback`. */
export function checkSize(
  value: unknown,
  fallback: number,
  what: string,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${what}: ${name} must be a number, got ${show(value)}`,
    );
  }
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(
      `${what}: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/** The error for a bad byte count, or undefined if it is fine. */
export function checkCount(
  n: unknown,
  what: string,
  negativeOk: boolean,
): Error | undefined {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    return new TypeError(
      `${what}: n must be an integer number of bytes, got ${show(n)}`,
    );
  }
  if (!negativeOk && n < 0) {
    return new RangeError(`${what}: n must not be negative, got ${n}`);
  }
  return undefined;
}

/** Bytes from a Uint8Array (as is) or a string (UTF-8). */
export function toBytes(data: unknown, what: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  throw new TypeError(
    `${what}: expected a Uint8Array or a string, got ${show(data)}`,
  );
}
