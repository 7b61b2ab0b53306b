/**
 * `StreamReader`: buffered reads from a TCP connection (`read`, `readline`,
 * `readexactly`, `readuntil`, line iteration), plus `IncompleteReadError`
 * and `LimitOverrunError`. Mirrors `asyncio.StreamReader`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { cancelledScope, currentScope, type Scope } from "../_core/_scope.ts";
import { show } from "../_core/_checks.ts";
import { type Activity, isLocalClose } from "./_stream_common.ts";

/** The default `limit`: how long a line or `readuntil` chunk may be (64 KiB). */
export const DEFAULT_LIMIT = 64 * 1024;

// The reusable read buffer starts at this size; each `conn.read` is offered
// the free space at its end (at least a quarter of it, after compacting).
// It only grows while unconsumed data fills it (a long line, a large
// `readexactly`) and drops back once that data has been consumed.
const INITIAL_CAPACITY = 16 * 1024;
// readInto reads straight into a caller's buffer of at least this size
// when nothing is buffered (a smaller one takes its bytes from a read of
// the reader's own buffer, so that small reads do not each cost a socket
// read).
const DIRECT_MIN = 1024;
// Reads that fill the buffer double it, up to this size.
const MAX_OFFER = 64 * 1024;
const EMPTY = new Uint8Array(0);
// The kinds of waiting read (StreamReader's #kind).
const NONE = 0;
const SOME = 1;
const INTO = 2;
const CUSTOM = 3;
const NEWLINE = new Uint8Array([0x0a]);
const encoder = new TextEncoder();

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

/** Options for {@linkcode StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The longest line or `readuntil` chunk accepted, in bytes, before
   * `LimitOverrunError`; it also bounds how much a reader buffers while
   * looking for a separator. Default 64 KiB.
   */
  limit?: number;
}

/** @internal Where a connected reader gets its bytes from. */
export interface ReadSource {
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * Buffered reading from a byte stream. Readers of a connection come from
 * `openConnection` or a `startServer` handler; `new StreamReader()` makes a
 * free-standing one fed with `feedData`/`feedEof` (for parsers and tests).
 *
 * Every read is a cancellation point. Cancelling a read loses nothing: a
 * socket read already under way completes into the buffer, and the next
 * read returns its bytes. Every chunk returned is a fresh copy that no
 * later read overwrites. Iterating the reader yields lines (with their
 * `\n`) until the end of the stream.
 *
 * Mirrors `asyncio.StreamReader`.
 *
 * @example
 * ```ts
 * import { StreamReader } from "@seed/aio";
 * const reader = new StreamReader();
 * reader.feedData(new TextEncoder().encode("one\ntwo\n"));
 * reader.feedEof();
 * for await (const line of reader) {
 *   console.log(new TextDecoder().decode(line).trimEnd()); // "one", then "two"
 * }
 * ```
 */
export class StreamReader {
  // Field order is layout order: what every read touches comes first, so
  // that it shares the fewest cache lines. With 1,000 connections a
  // reader's fields have gone cold by its next read, and each line missed
  // costs more than the rest of the read's own work.
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #eof = false;
  #reading = false; // a socket read is in flight
  // The waiting read: NONE, or SOME/INTO (read(n)/readInto, whose state is
  // #count/#into), or CUSTOM (#attempt); its promise's resolvers; its scope.
  #kind = NONE;
  #count = 0;
  #into: Uint8Array = EMPTY;
  #waiting: PromiseWithResolvers<unknown> | undefined;
  #waitScope: Scope | undefined;
  #hooked: Scope | undefined;
  #source: ReadSource | undefined;
  #fillAt = 0;
  #full = false; // the last socket read filled all it was offered
  #offered = 0;
  #activity: Activity | undefined;
  #error: unknown = undefined;
  #direct: Uint8Array | undefined; // the target of a readInto's socket read
  // Touched only by the other reads and on the way out.
  #attempt: (() => unknown) | undefined;
  #want = 1;
  readonly #limit: number;
  #unhook: (() => void) | undefined;
  #idle: PromiseWithResolvers<void> | undefined;

  /**
   * Creates a free-standing reader (see `feedData`); connections make their
   * own.
   * @param options `limit` (default 64 KiB).
   * @throws {TypeError} If `options` is not an object or `limit` not a number.
   * @throws {RangeError} If `limit` is not a positive integer.
   */
  constructor(options?: StreamReaderOptions) {
    if (
      options !== undefined && (options === null || typeof options !== "object")
    ) {
      throw new TypeError(
        `StreamReader: options must be an object, got ${show(options)}`,
      );
    }
    this.#limit = checkSize(
      options?.limit,
      DEFAULT_LIMIT,
      "StreamReader",
      "limit",
    );
  }

  /** @internal Connects the reader to a socket. */
  _attach(source: ReadSource, activity: Activity | undefined): void {
    this.#source = source;
    this.#activity = activity;
  }

  /** @internal The socket was closed on this side: the stream ends. */
  _closedLocally(): void {
    this.#eof = true;
    // A socket read in flight will settle and wake the waiter itself.
    if (!this.#reading) this.#wake();
  }

  /** @internal Settles once no socket read is in flight. */
  _idle(): Promise<void> {
    if (!this.#reading) return Promise.resolve();
    return (this.#idle ??= Promise.withResolvers<void>()).promise;
  }

  /** @internal The error the stream ended with, if any. */
  get _error(): unknown {
    return this.#error;
  }

  /** The `limit` of this reader, in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** How many bytes are buffered and not read yet. */
  get bufferedAmount(): number {
    return this.#end - this.#start;
  }

  /**
   * Whether the stream has ended and the buffer is empty.
   * Mirrors `StreamReader.at_eof()`.
   * @returns `true` once nothing more will ever be read.
   */
  atEof(): boolean {
    return this.#eof && this.#start === this.#end;
  }

  /**
   * Appends bytes to a free-standing reader's buffer (they are copied).
   * Mirrors `StreamReader.feed_data()`.
   * @param data The bytes.
   * @throws {TypeError} If `data` is not a Uint8Array or string.
   * @throws {InvalidStateError} If the reader reads a socket or saw the end.
   */
  feedData(data: Uint8Array | string): void {
    const bytes = toBytes(data, "StreamReader.feedData()");
    this.#checkFeedable("feed data");
    if (bytes.length === 0) return;
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
    this.#wake();
  }

  /**
   * Ends a free-standing reader's stream: reads return what is buffered,
   * then empty chunks. Mirrors `StreamReader.feed_eof()`.
   * @throws {InvalidStateError} If the reader reads a socket.
   */
  feedEof(): void {
    if (this.#source !== undefined) {
      throw new InvalidStateError(
        "Cannot feed EOF: the reader belongs to a connection",
      );
    }
    this.#eof = true;
    this.#wake();
  }

  /**
   * Reads up to `n` bytes: whatever is buffered, or else waits for the next
   * chunk. With `n` negative (the default), reads until the end of the
   * stream. Returns an empty chunk at the end of the stream.
   * Mirrors `StreamReader.read(n=-1)`.
   *
   * @param n The most bytes to return; negative for "until the end".
   * @returns A fresh chunk of 1 to `n` bytes, or an empty one at the end.
   * @throws {TypeError} If `n` is not an integer.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting (no data is lost).
   * @throws {Deno.errors.ConnectionReset} Or another socket error, once the buffered bytes were read.
   */
  read(n = -1): Promise<Uint8Array> {
    const bad = checkCount(n, "StreamReader.read()", true);
    if (bad !== undefined) return Promise.reject(bad);
    if (n === 0) return this.#run(() => new Uint8Array(0));
    if (n < 0) {
      return this.#run(() => {
        if (!this.#eof) return undefined;
        if (this.#error !== undefined) throw this.#error;
        return this.#take(this.#end - this.#start);
      });
    }
    if (this.#kind === NONE) this.#count = n;
    return this.#run(SOME) as Promise<Uint8Array>;
  }

  // The attempt of read(n > 0).
  #readSome(): Uint8Array | undefined {
    const available = this.#end - this.#start;
    if (available > 0) {
      return this.#take(available < this.#count ? available : this.#count);
    }
    if (!this.#eof) return undefined;
    if (this.#error !== undefined) throw this.#error;
    return new Uint8Array(0);
  }

  /**
   * Reads up to `buffer.length` bytes into `buffer`: whatever is buffered,
   * or else waits for the next chunk. The bytes go into memory the caller
   * owns and reuses, so a loop of `readInto` allocates nothing per read
   * (allocating the fresh chunk `read(n)` returns costs Deno about as much
   * as a small socket read). When nothing is buffered and `buffer` holds
   * at least 1 KiB, the socket reads straight into it, with no copy at all.
   * Returns 0 at the end of the stream, and at once for an empty `buffer`.
   * Mirrors Python's `readinto()` (asyncio's `sock_recv_into`).
   *
   * Cancelling a `readInto` loses nothing, as with every read: a socket
   * read already under way completes, and the next read of this reader
   * returns its bytes. Until that next read settles, that socket read may
   * still write into `buffer`, so retry with the same buffer (or close the
   * connection) rather than reuse it for other data.
   *
   * @param buffer Where the bytes go, from index 0.
   * @returns How many bytes were written into `buffer`; 0 at the end.
   * @throws {TypeError} If `buffer` is not a Uint8Array.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting (no data is lost).
   * @throws {Deno.errors.ConnectionReset} Or another socket error, once the buffered bytes were read.
   *
   * @example
   * ```ts
   * import { StreamReader } from "@seed/aio";
   * const reader = new StreamReader();
   * reader.feedData("hello");
   * reader.feedEof();
   * const buffer = new Uint8Array(4);
   * console.log(await reader.readInto(buffer)); // 4: "hell"
   * console.log(await reader.readInto(buffer)); // 1: "o"
   * console.log(await reader.readInto(buffer)); // 0: the end
   * ```
   */
  readInto(buffer: Uint8Array): Promise<number> {
    if (!(buffer instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(
          `StreamReader.readInto(): buffer must be a Uint8Array, got ${
            show(buffer)
          }`,
        ),
      );
    }
    if (buffer.length === 0) return this.#run(() => 0);
    if (this.#kind === NONE) this.#into = buffer;
    return this.#run(INTO) as Promise<number>;
  }

  // The attempt of readInto; the buffer is dropped once filled, not kept.
  #readInto(): number | undefined {
    const available = this.#end - this.#start;
    if (available > 0) {
      const into = this.#into;
      this.#into = EMPTY;
      const n = available < into.length ? available : into.length;
      const start = this.#start;
      into.set(this.#buf.subarray(start, start + n));
      this.#start = start + n;
      this.#compactIfEmpty();
      return n;
    }
    if (!this.#eof) return undefined;
    this.#into = EMPTY;
    if (this.#error !== undefined) throw this.#error;
    return 0;
  }

  /**
   * Reads one line, up to and including `\n`. At the end of the stream
   * returns the partial last line, then empty chunks. A line longer than
   * `limit` is dropped and `LimitOverrunError` thrown (asyncio throws
   * `ValueError` there).
   * Mirrors `StreamReader.readline()`.
   *
   * @returns The line, with its `\n` unless it was the last and unterminated.
   * @throws {LimitOverrunError} If the line exceeds `limit`.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting.
   */
  readline(): Promise<Uint8Array> {
    const state = { offset: 0 };
    return this.#run(() => {
      try {
        return this.#until(NEWLINE, state);
      } catch (error) {
        if (error instanceof IncompleteReadError) return error.partial;
        if (error instanceof LimitOverrunError) {
          // asyncio's rule: drop the overlong line through its separator if
          // it is buffered, otherwise everything buffered.
          const at = this.#start + error.consumed;
          if (at < this.#end && this.#buf[at] === 0x0a) {
            this.#start = at + 1;
          } else {
            this.#start = this.#end;
          }
          this.#compactIfEmpty();
        }
        throw error;
      }
    });
  }

  /**
   * Reads exactly `n` bytes.
   * Mirrors `StreamReader.readexactly(n)`.
   *
   * @param n How many bytes.
   * @returns A fresh chunk of `n` bytes.
   * @throws {IncompleteReadError} If the stream ends first (`partial` has what came).
   * @throws {TypeError} If `n` is not an integer.
   * @throws {RangeError} If `n` is negative.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting (no data is lost).
   */
  readexactly(n: number): Promise<Uint8Array> {
    const bad = checkCount(n, "StreamReader.readexactly()", false);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#run(() => {
      const available = this.#end - this.#start;
      if (available >= n) return this.#take(n);
      if (this.#eof) {
        if (this.#error !== undefined) throw this.#error;
        throw new IncompleteReadError(this.#take(available), n);
      }
      this.#want = n - available;
      return undefined;
    });
  }

  /**
   * Reads up to and including `separator`. If the stream ends first, the
   * buffered bytes are consumed into `IncompleteReadError.partial`. If the
   * separator is not found within `limit` bytes, throws `LimitOverrunError`
   * and leaves the data in the buffer.
   * Mirrors `StreamReader.readuntil(separator=b'\n')`.
   *
   * @param separator A non-empty byte string or text (UTF-8); default `"\n"`.
   * @returns A fresh chunk ending with the separator.
   * @throws {IncompleteReadError} At the end of the stream without a separator.
   * @throws {LimitOverrunError} If the chunk would exceed `limit`.
   * @throws {TypeError} If `separator` is not a Uint8Array or string.
   * @throws {RangeError} If `separator` is empty.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting (no data is lost).
   */
  readuntil(separator: Uint8Array | string = NEWLINE): Promise<Uint8Array> {
    let sep: Uint8Array;
    try {
      sep = toBytes(separator, "StreamReader.readuntil()");
    } catch (error) {
      return Promise.reject(error);
    }
    if (sep.length === 0) {
      return Promise.reject(
        new RangeError("StreamReader.readuntil(): separator must not be empty"),
      );
    }
    const state = { offset: 0 };
    return this.#run(() => this.#until(sep, state));
  }

  /**
   * Iterates over lines (as `readline` returns them) until the stream ends.
   * @returns An async iterator of lines.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    while (true) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  // One attempt at readuntil: the chunk, or undefined to wait for more.
  // `state.offset` remembers how far the separator was already looked for.
  #until(sep: Uint8Array, state: { offset: number }): Uint8Array | undefined {
    const limit = this.#limit;
    const available = this.#end - this.#start;
    if (available - state.offset >= sep.length) {
      const found = this.#find(sep, state.offset);
      if (found >= 0) {
        if (found > limit) {
          throw new LimitOverrunError(
            "Separator is found, but chunk is longer than limit",
            found,
          );
        }
        return this.#take(found + sep.length);
      }
      state.offset = available + 1 - sep.length;
      if (state.offset > limit) {
        throw new LimitOverrunError(
          "Separator is not found, and chunk exceed the limit",
          state.offset,
        );
      }
    }
    if (!this.#eof) return undefined;
    if (this.#error !== undefined) throw this.#error;
    throw new IncompleteReadError(this.#take(available), null);
  }

  // Runs `attempt` now and, while it returns undefined, again each time
  // bytes arrive or the stream ends. The waiting is a cancellation point;
  // a cancelled wait leaves any socket read in flight to fill the buffer.
  #run<T>(
    attempt: (() => T | undefined) | typeof SOME | typeof INTO,
  ): Promise<T> {
    // The scope is looked up only to wait (see StreamWriter.drain).
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    if (this.#kind !== NONE) {
      return Promise.reject(
        new InvalidStateError(
          "Cannot read: another read of this reader is waiting for data",
        ),
      );
    }
    let kind: number;
    if (typeof attempt === "function") {
      kind = CUSTOM;
      this.#attempt = attempt;
    } else {
      kind = attempt;
    }
    let result: unknown;
    try {
      result = this.#try(kind);
    } catch (error) {
      this.#attempt = undefined;
      return Promise.reject(error);
    }
    if (result !== undefined) {
      this.#attempt = undefined;
      return Promise.resolve(result as T);
    }
    const scope = currentScope();
    if (scope !== undefined && scope !== this.#hooked) this.#hook(scope);
    const waiting = Promise.withResolvers<unknown>();
    this.#waiting = waiting;
    this.#kind = kind;
    this.#waitScope = scope;
    this.#more();
    return waiting.promise as Promise<T>;
  }

  // One attempt of a read of this kind: its result, or undefined to wait.
  #try(kind: number): unknown {
    return kind === INTO
      ? this.#readInto()
      : kind === SOME
      ? this.#readSome()
      : this.#attempt!();
  }

  // Settles the waiting read.
  #settle(ok: boolean, value: unknown): void {
    const waiting = this.#waiting!;
    this.#kind = NONE;
    this.#attempt = this.#waiting = this.#waitScope = undefined;
    if (ok) waiting.resolve(value);
    else waiting.reject(value);
  }

  // Registers the reader's cancel hook with the scope its reads wait in.
  // It stays registered across reads (one hook per scope, not one per
  // read): a cancellation fails whichever read of that scope is waiting.
  #hook(scope: Scope): void {
    this.#unhook?.();
    this.#hooked = scope;
    this.#unhook = scope.onCancel((error) => {
      this.#hooked = this.#unhook = undefined;
      if (this.#kind !== NONE && this.#waitScope === scope) {
        this.#settle(false, error);
      }
    });
  }

  // Retries the waiting read (after bytes arrived or the stream ended).
  #wake(): void {
    const kind = this.#kind;
    if (kind === NONE) return;
    let result: unknown;
    try {
      result = this.#try(kind);
    } catch (error) {
      this.#settle(false, error);
      return;
    }
    if (result === undefined) {
      this.#more();
      return;
    }
    this.#settle(true, result);
  }

  // Starts a socket read unless one is in flight (or the reader is fed).
  #more(): void {
    const source = this.#source;
    if (source === undefined || this.#reading || this.#eof) return;
    if (
      this.#kind === INTO && this.#start === this.#end &&
      this.#into.length >= DIRECT_MIN
    ) {
      this.#readDirect(source, this.#into);
      return;
    }
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      // The last read filled all it was offered: give the next one more,
      // so that a read can tell the socket was drained (a read that fills
      // its buffer costs the runtime a second, empty one).
      if (this.#full && this.#buf.length < MAX_OFFER) {
        this.#buf = new Uint8Array(this.#buf.length * 2);
      }
    }
    const want = this.#want;
    this.#want = 1;
    const capacity = this.#buf.length || INITIAL_CAPACITY;
    this.#reserve(Math.max(want, capacity >> 2));
    const at = this.#end;
    const buf = this.#buf;
    this.#offered = buf.length - at;
    let promise: Promise<number | null>;
    try {
      promise = source.read(at === 0 ? buf : buf.subarray(at));
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#fillAt = at;
    this.#reading = true;
    promise.then(this.#filled, this.#fillFailed);
  }

  // A readInto with nothing buffered reads straight into the caller's
  // buffer: no copy, and the reader's own buffer stays untouched (with
  // 1,000 connections, every buffer touched is a cache miss).
  #readDirect(source: ReadSource, target: Uint8Array): void {
    let promise: Promise<number | null>;
    try {
      promise = source.read(target);
    } catch (error) {
      promise = Promise.reject(error);
    }
    this.#direct = target;
    this.#reading = true;
    promise.then(this.#filledDirect, this.#fillFailed);
  }

  readonly #filledDirect = (n: number | null): void => {
    this.#readDone();
    const target = this.#direct!;
    this.#direct = undefined;
    if (n === null) {
      this.#eof = true;
      this.#wake();
      return;
    }
    if (this.#activity !== undefined) this.#activity.touch();
    if (this.#kind === INTO && this.#into === target) {
      // The readInto it was for still waits: the bytes are in place.
      this.#into = EMPTY;
      this.#settle(true, n);
      return;
    }
    // That readInto was cancelled: the bytes go to the buffer, for the
    // next read. (A caller that transferred the buffer meanwhile lost
    // them; the stream cannot go on with a gap.)
    if (target.length < n) {
      this.#eof = true;
      this.#error ??= new TypeError(
        "Cannot read: the buffer of a cancelled readInto() was detached while its socket read was under way",
      );
    } else {
      this.#reserve(n);
      this.#buf.set(target.subarray(0, n), this.#end);
      this.#end += n;
    }
    this.#wake();
  };

  // The socket read is over: whoever waits in _idle() may go on.
  #readDone(): void {
    this.#reading = false;
    const idle = this.#idle;
    if (idle !== undefined) {
      this.#idle = undefined;
      idle.resolve();
    }
  }

  readonly #filled = (n: number | null): void => {
    this.#readDone();
    if (n === null) {
      this.#eof = true;
    } else {
      this.#end = this.#fillAt + n;
      this.#full = n === this.#offered;
      if (this.#activity !== undefined) this.#activity.touch();
    }
    this.#wake();
  };

  readonly #fillFailed = (error: unknown): void => {
    this.#readDone();
    this.#direct = undefined;
    this.#eof = true;
    // A socket closed on this side is the end of the stream, not an error.
    if (!isLocalClose(error)) this.#error = error;
    this.#wake();
  };

  // The index (relative to #start) of `sep` at or after `offset`, or -1.
  #find(sep: Uint8Array, offset: number): number {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    const first = sep[0];
    let i = buf.indexOf(first, start + offset);
    while (i >= 0 && i + sep.length <= end) {
      let k = 1;
      while (k < sep.length && buf[i + k] === sep[k]) k++;
      if (k === sep.length) return i - start;
      i = buf.indexOf(first, i + 1);
    }
    return -1;
  }

  // Consumes `n` buffered bytes into a fresh copy.
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const start = this.#start;
    const chunk = this.#buf.slice(start, start + n);
    this.#start = start + n;
    this.#compactIfEmpty();
    return chunk;
  }

  #compactIfEmpty(): void {
    if (this.#start !== this.#end || this.#reading) return;
    this.#start = this.#end = 0;
    // A buffer grown for one large chunk is given back once it is empty.
    if (this.#buf.length > INITIAL_CAPACITY * 4) this.#buf = EMPTY;
  }

  // Makes room for at least `need` more bytes at the end of the buffer.
  // Never called while a socket read is writing into it.
  #reserve(need: number): void {
    const buf = this.#buf;
    if (buf.length - this.#end >= need) return;
    const used = this.#end - this.#start;
    if (buf.length === 0) {
      this.#buf = new Uint8Array(Math.max(INITIAL_CAPACITY, need));
      return;
    }
    if (used + need <= buf.length && this.#start > 0) {
      buf.copyWithin(0, this.#start, this.#end);
    } else {
      let capacity = buf.length * 2;
      while (capacity < used + need) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(buf.subarray(this.#start, this.#end));
      this.#buf = grown;
    }
    this.#start = 0;
    this.#end = used;
  }

  #checkFeedable(what: string): void {
    if (this.#source !== undefined) {
      throw new InvalidStateError(
        `Cannot ${what}: the reader belongs to a connection`,
      );
    }
    if (this.#eof) {
      throw new InvalidStateError(`Cannot ${what}: feedEof() was called`);
    }
  }
}

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

// The error for a bad byte count, or undefined if it is fine.
function checkCount(
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
