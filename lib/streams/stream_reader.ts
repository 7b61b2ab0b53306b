/**
 * `StreamReader`: buffered reads from a byte stream (`read`, `readInto`,
 * `readline`, `readexactly`, `readuntil`, line iteration) over a socket, a
 * Web `ReadableStream` or bytes fed by hand. Mirrors `asyncio.StreamReader`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { cancelledScope, currentScope } from "../_core/_scope.ts";
import { suspend, Wait } from "../_core/_trap.ts";
import { show } from "../_core/_checks.ts";
import {
  type Activity,
  checkCount,
  checkSize,
  isLocalClose,
  toBytes,
} from "./_stream_common.ts";
import { ByteBuffer, INITIAL_CAPACITY } from "./_byte_buffer.ts";
import { type ReadSource, readSourceOf } from "./_sources.ts";
import { IncompleteReadError, LimitOverrunError } from "./stream_errors.ts";

export { IncompleteReadError, LimitOverrunError };
export { checkSize, toBytes };
export type { ReadSource };

/** The default `limit`: how long a line or `readuntil` chunk may be (64 KiB). */
export const DEFAULT_LIMIT = 64 * 1024;

/**
 * The largest chunk `readexactly` returns (4 GiB): a larger count, which
 * can only come from a corrupt or hostile peer, is refused up front.
 */
export const MAX_READ_EXACTLY = 2 ** 32;

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

/** Options for {@linkcode StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The longest line or `readuntil` chunk accepted, in bytes, before
   * `LimitOverrunError`; it also bounds how much a reader buffers while
   * looking for a separator. Default 64 KiB.
   */
  limit?: number;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

function lineResult(line: Uint8Array): IteratorResult<Uint8Array> {
  return line.length === 0 ? DONE : { done: false, value: line };
}

// ===========================================================================
// The wait of a read.
// ===========================================================================

// Lets the wait reach the reader's private state (set in a static block).
let dropWait: (reader: StreamReader, wait: ReadWait) => void;

/** A read waiting for bytes: the reader's one wait, through `suspend`. */
class ReadWait extends Wait<unknown> {
  constructor(readonly reader: StreamReader, readonly what: string) {
    super();
  }

  // Cancelled: the read gives up its place; a socket read already under
  // way carries on and fills the buffer for the next read.
  override disarm(): void {
    dropWait(this.reader, this);
  }

  /** What the task tree and traces show. */
  describe(): string {
    return `StreamReader.${this.what}()`;
  }
}

/**
 * Buffered reading from a byte stream. Readers of a connection come from
 * `openConnection` or a `startServer` handler; `StreamReader.from()` reads
 * a Web `ReadableStream` (or a `Deno.Conn`); `new StreamReader()` makes a
 * free-standing one fed with `feedData`/`feedEof` (for parsers and tests).
 *
 * Every read is a cancellation point. Cancelling a read loses nothing: a
 * socket read already under way completes into the buffer, and the next
 * read returns its bytes. Every chunk returned is a fresh copy that no
 * later read overwrites. Iterating the reader yields lines (with their
 * `\n`) until the end of the stream.
 *
 * Sizes that come from the peer are safe to pass: the buffer grows only as
 * bytes arrive (`readexactly(n)` reserves nothing up front), and a read
 * that cannot be served (a count over 4 GiB, memory that cannot be had)
 * rejects with a `RangeError` and leaves the reader usable.
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
  readonly #bytes = new ByteBuffer();
  #eof = false;
  #reading = false; // a socket read is in flight
  // The waiting read: NONE, or SOME/INTO (read(n)/readInto, whose state is
  // #count/#into), or CUSTOM (#attempt); its wait.
  #kind = NONE;
  #count = 0;
  #into: Uint8Array = EMPTY;
  #wait: ReadWait | undefined;
  #source: ReadSource | undefined;
  #fillAt = 0;
  #full = false; // the last socket read filled all it was offered
  #offered = 0;
  #activity: Activity | undefined;
  #error: unknown = undefined;
  #direct: Uint8Array | undefined; // the target of a readInto's socket read
  // Touched only by the other reads and on the way out.
  #attempt: (() => unknown) | undefined;
  #want = 0;
  readonly #limit: number;
  /**
   * @internal What its waits are to debug mode and virtual time: a child
   * process's pipe is real work ("process"), which the virtual clock must
   * not jump past.
   */
  _waitKind: "stream" | "process" = "stream";
  #idle: PromiseWithResolvers<void> | undefined;

  static {
    dropWait = (reader, wait) => {
      if (reader.#wait !== wait) return;
      reader.#kind = NONE;
      reader.#attempt = reader.#wait = undefined;
      reader.#into = EMPTY;
      reader.#want = 0;
    };
  }

  // ========================================================================
  // Making a reader; its state; feeding it by hand.
  // ========================================================================

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

  /**
   * A reader over any byte source: a Web `ReadableStream` of `Uint8Array`
   * chunks (a `fetch` body, a file's `readable`, a subprocess's `stdout`)
   * or a `Deno.Conn` (anything with Deno's `read(p)`), so that it gets
   * `readline`, `readexactly`, `readuntil` and line iteration. The reader
   * takes the stream's lock and reads it to its end.
   *
   * Mirrors wrapping a transport in `asyncio.StreamReader`.
   *
   * @param source The stream or connection.
   * @param options `limit` (default 64 KiB).
   * @returns The reader.
   * @throws {TypeError} If `source` is neither, or a locked stream.
   *
   * @example
   * ```ts
   * import { StreamReader } from "@seed/aio";
   * const body = new Response("first line\nsecond line\n").body!;
   * const reader = StreamReader.from(body);
   * console.log(new TextDecoder().decode(await reader.readline())); // "first line\n"
   * console.log((await reader.readexactly(6)).length); // 6
   * ```
   */
  static from(
    source: ReadableStream<Uint8Array> | Deno.Conn,
    options?: StreamReaderOptions,
  ): StreamReader {
    const reader = new StreamReader(options);
    reader._attach(readSourceOf(source, "StreamReader.from()"), undefined);
    return reader;
  }

  /** @internal Connects the reader to a socket (or another source). */
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

  /**
   * @internal Ends the stream for the reads (the server is closing its
   * clients): they return what is buffered, then the end of the stream.
   * Bytes of a socket read still under way are dropped when it settles.
   */
  _endReads(): void {
    if (this.#eof) return;
    this.#eof = true;
    this.#wake();
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
    return this.#bytes.size;
  }

  /**
   * Whether the stream has ended and the buffer is empty.
   * Mirrors `StreamReader.at_eof()`.
   * @returns `true` once nothing more will ever be read.
   */
  atEof(): boolean {
    return this.#eof && this.#bytes.size === 0;
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
    this.#bytes.append(bytes);
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

  // ========================================================================
  // The reads (asyncio's API): each tries at once, else waits.
  // ========================================================================

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
    if (n === 0) return this.#run(() => new Uint8Array(0), "read");
    if (n < 0) {
      return this.#run(() => {
        if (!this.#eof) return undefined;
        if (this.#error !== undefined) throw this.#error;
        return this.#take(this.#bytes.size);
      }, "read");
    }
    if (this.#kind === NONE) this.#count = n;
    return this.#run(SOME, "read") as Promise<Uint8Array>;
  }

  // The attempt of read(n > 0).
  #readSome(): Uint8Array | undefined {
    const available = this.#bytes.size;
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
    if (buffer.length === 0) return this.#run(() => 0, "readInto");
    if (this.#kind === NONE) this.#into = buffer;
    return this.#run(INTO, "readInto") as Promise<number>;
  }

  // The attempt of readInto; the buffer is dropped once filled, not kept.
  #readInto(): number | undefined {
    const bytes = this.#bytes;
    if (bytes.end > bytes.start) {
      const into = this.#into;
      this.#into = EMPTY;
      const n = bytes.takeInto(into);
      if (!this.#reading) bytes.compactIfEmpty();
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
   * `ValueError` there); the reader stays usable.
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
          const bytes = this.#bytes;
          if (
            error.consumed < bytes.size && bytes.at(error.consumed) === 0x0a
          ) {
            bytes.skip(error.consumed + 1);
          } else {
            bytes.skip(bytes.size);
          }
          if (!this.#reading) bytes.compactIfEmpty();
        }
        throw error;
      }
    }, "readline");
  }

  /**
   * Reads exactly `n` bytes. The buffer grows as the bytes arrive, so `n`
   * may come from the peer: nothing is reserved before the data is there.
   * Mirrors `StreamReader.readexactly(n)`.
   *
   * @param n How many bytes.
   * @returns A fresh chunk of `n` bytes.
   * @throws {IncompleteReadError} If the stream ends first (`partial` has what came).
   * @throws {TypeError} If `n` is not an integer.
   * @throws {RangeError} If `n` is negative or over 4 GiB (`MAX_READ_EXACTLY`), or the memory for the bytes cannot be had.
   * @throws {InvalidStateError} If another read of this reader is waiting.
   * @throws {CancelledError} If cancelled while waiting (no data is lost).
   */
  readexactly(n: number): Promise<Uint8Array> {
    const what = "StreamReader.readexactly()";
    const bad = checkCount(n, what, false);
    if (bad !== undefined) return Promise.reject(bad);
    if (n > MAX_READ_EXACTLY) {
      return Promise.reject(
        new RangeError(
          `${what}: n must be at most ${MAX_READ_EXACTLY} bytes (4 GiB), got ${n}`,
        ),
      );
    }
    return this.#run(() => {
      const available = this.#bytes.size;
      if (available >= n) return this.#take(n);
      if (this.#eof) {
        if (this.#error !== undefined) throw this.#error;
        throw new IncompleteReadError(this.#take(available), n);
      }
      this.#want = n - available;
      return undefined;
    }, "readexactly");
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
    return this.#run(() => this.#until(sep, state), "readuntil");
  }

  /**
   * Iterates over lines (as `readline` returns them) until the stream ends.
   * (A plain iterator, not an async generator, so that debug mode's task
   * tree shows the `for await` line as where the task waits.)
   * @returns An async iterator of lines.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    const next = (): Promise<IteratorResult<Uint8Array>> =>
      this.readline().then(lineResult);
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next,
      return: (): Promise<IteratorResult<Uint8Array>> => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  // One attempt at readuntil: the chunk, or undefined to wait for more.
  // `state.offset` remembers how far the separator was already looked for.
  #until(sep: Uint8Array, state: { offset: number }): Uint8Array | undefined {
    const limit = this.#limit;
    const bytes = this.#bytes;
    const available = bytes.size;
    if (available - state.offset >= sep.length) {
      const found = bytes.find(sep, state.offset);
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

  // ========================================================================
  // Waiting: one wait per read, through suspend().
  // ========================================================================

  // Runs `attempt` now and, while it returns undefined, again each time
  // bytes arrive or the stream ends. The waiting goes through the one wait
  // primitive (kind "stream"), so it is a cancellation point the task tree
  // and traces see; a cancelled wait leaves any socket read in flight to
  // fill the buffer.
  #run<T>(
    attempt: (() => T | undefined) | typeof SOME | typeof INTO,
    what: string,
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
      this.#want = 0;
      return Promise.reject(error);
    }
    if (result !== undefined) {
      this.#attempt = undefined;
      return Promise.resolve(result as T);
    }
    const wait = new ReadWait(this, what);
    this.#kind = kind;
    this.#wait = wait;
    const promise = suspend(wait, currentScope(), this._waitKind, wait);
    if (this.#wait === wait) this.#more();
    return promise as Promise<T>;
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
    const wait = this.#wait!;
    this.#kind = NONE;
    this.#attempt = this.#wait = undefined;
    this.#want = 0;
    if (ok) wait.wake(value);
    else wait.fail(value);
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

  // ========================================================================
  // The pump: socket reads into the buffer (or a readInto's target).
  // ========================================================================

  // Starts a socket read unless one is in flight (or the reader is fed).
  #more(): void {
    const source = this.#source;
    if (source === undefined || this.#reading || this.#eof) return;
    const bytes = this.#bytes;
    if (bytes.start === bytes.end) {
      if (this.#kind === INTO && this.#into.length >= DIRECT_MIN) {
        this.#readDirect(source, this.#into);
        return;
      }
      bytes.start = bytes.end = 0;
      // The last read filled all it was offered: give the next one more,
      // so that a read can tell the socket was drained (a read that fills
      // its buffer costs the runtime a second, empty one).
      if (this.#full) bytes.widen(MAX_OFFER);
    }
    try {
      this.#makeRoom(bytes);
    } catch (error) {
      // Out of memory for the bytes the peer sends: this read fails, the
      // buffered bytes stay, and the reader stays usable.
      this.#settle(false, error);
      return;
    }
    const at = bytes.end;
    const buf = bytes.buf;
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

  // Offers the next socket read at least a quarter of the capacity. A
  // readexactly that needs more grows the buffer only by what is already
  // buffered (doubling as the bytes come), never by the count the peer
  // announced.
  #makeRoom(bytes: ByteBuffer): void {
    let need = (bytes.buf.length || INITIAL_CAPACITY) >> 2;
    const want = this.#want;
    if (want > need) {
      // At most as much again as is buffered: a peer that trickles bytes
      // cannot make the buffer double per read.
      const size = bytes.size;
      if (size > need) need = want < size ? want : size;
    }
    bytes.reserve(need);
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
    if (this.#eof) return; // the reads were ended meanwhile
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
      try {
        this.#bytes.append(target.subarray(0, n));
      } catch (error) {
        this.#eof = true;
        this.#error ??= error;
      }
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
    } else if (!this.#eof) {
      this.#bytes.end = this.#fillAt + n;
      this.#full = n === this.#offered;
      if (this.#activity !== undefined) this.#activity.touch();
    }
    this.#wake();
  };

  readonly #fillFailed = (error: unknown): void => {
    this.#readDone();
    this.#direct = undefined;
    if (this.#eof) {
      // The reads were ended or the socket closed here: nothing to report.
      this.#wake();
      return;
    }
    this.#eof = true;
    // A socket closed on this side is the end of the stream, not an error.
    if (!isLocalClose(error)) this.#error = error;
    this.#wake();
  };

  // Consumes `n` buffered bytes into a fresh copy.
  #take(n: number): Uint8Array {
    const chunk = this.#bytes.take(n);
    if (!this.#reading) this.#bytes.compactIfEmpty();
    return chunk;
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
