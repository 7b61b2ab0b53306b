/**
 * The errors of the stream reads: `IncompleteReadError` (the stream ended
 * early) and `LimitOverrunError` (a line or chunk longer than the limit).
 * Mirrors `asyncio.IncompleteReadError` and `asyncio.LimitOverrunError`.
 *
 * @module
 */

/**
 * Thrown by `readexactly` (and `readuntil`) when the stream ends before
 * enough bytes arrived; `partial` holds the bytes that did.
 * Mirrors `asyncio.IncompleteReadError`.
 *
 * @example
 * ```ts
 * import { IncompleteReadError, StreamReader } from "@seed/aio";
 * const reader = new StreamReader();
 * reader.feedData(new TextEncoder().encode("abc"));
 * reader.feedEof();
 * try {
 *   await reader.readexactly(5);
 * } catch (error) {
 *   if (error instanceof IncompleteReadError) console.log(error.partial.length); // 3
 * }
 * ```
 */
export class IncompleteReadError extends Error {
  /** The bytes read before the stream ended. */
  readonly partial: Uint8Array;
  /** How many bytes were expected, or `null` when reading up to a separator. */
  readonly expected: number | null;
  /**
   * Creates the error.
   * @param partial The bytes read before the end of the stream.
   * @param expected How many bytes were expected (`null`: up to a separator).
   */
  constructor(partial: Uint8Array, expected: number | null) {
    super(
      `${partial.length} bytes read on a total of ${
        expected === null ? "undefined" : expected
      } expected bytes`,
    );
    this.name = "IncompleteReadError";
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * Thrown by `readuntil` and `readline` when the separator is not found
 * within the reader's `limit`. `readuntil` leaves the data in the buffer
 * (`consumed` bytes can be read off with `readexactly`); `readline` drops
 * the overlong line, as asyncio does. Mirrors `asyncio.LimitOverrunError`.
 *
 * @example
 * ```ts
 * import { LimitOverrunError, StreamReader } from "@seed/aio";
 * const reader = new StreamReader({ limit: 4 });
 * reader.feedData(new TextEncoder().encode("far too long\n"));
 * try {
 *   await reader.readuntil("\n");
 * } catch (error) {
 *   if (error instanceof LimitOverrunError) console.log(error.consumed); // 12
 * }
 * ```
 */
export class LimitOverrunError extends Error {
  /** How many bytes (from the start of the buffer) the overlong chunk spans so far. */
  readonly consumed: number;
  /**
   * Creates the error.
   * @param message What overran.
   * @param consumed How many bytes are to be consumed.
   */
  constructor(message: string, consumed: number) {
    super(message);
    this.name = "LimitOverrunError";
    this.consumed = consumed;
  }
}
