/**
 * `StreamWriter`: buffered writes to a connection (or a Web
 * `WritableStream`) with back-pressure (`write`, `drain`, `writeEof`,
 * `close`, `waitClosed`, `getExtraInfo`). Mirrors `asyncio.StreamWriter`.
 *
 * @module
 */

import { InvalidStateError } from "../errors.ts";
import { cancelledScope, currentScope } from "../_core/_scope.ts";
import { suspend, Wait, waitPromise } from "../_core/_trap.ts";
import { show } from "../_core/_checks.ts";
import { type Activity, checkSize, isLocalClose } from "./_stream_common.ts";
import {
  abortSink,
  sinkClosed,
  type WriteSink,
  writeSinkOf,
} from "./_sources.ts";
import type { StreamReader } from "./stream_reader.ts";

/** The default high-water mark of a writer's buffer (64 KiB, as asyncio). */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

/**
 * A socket address as asyncio's `get_extra_info("peername")` gives it: a
 * `[hostname, port]` pair that prints like Python's tuple,
 * `('127.0.0.1', 54321)`, and destructures like one; `hostname` and `port`
 * name the same two values.
 */
export type SocketAddress = readonly [hostname: string, port: number] & {
  /** The host, as `[0]`. */
  readonly hostname: string;
  /** The port, as `[1]`. */
  readonly port: number;
};

const inspect = Symbol.for("Deno.customInspect");

function tupleString(this: SocketAddress): string {
  return `('${this[0]}', ${this[1]})`;
}

/** @internal Makes a {@linkcode SocketAddress} from a Deno address. */
export function socketAddress(addr: Deno.Addr): SocketAddress {
  const tuple: [string, number] = "hostname" in addr
    ? [addr.hostname, addr.port]
    : ["", 0];
  Object.defineProperties(tuple, {
    hostname: { value: tuple[0] },
    port: { value: tuple[1] },
    toString: { value: tupleString },
    [inspect]: { value: tupleString },
  });
  return Object.freeze(tuple) as unknown as SocketAddress;
}

/** Options for {@linkcode StreamWriter.from}. */
export interface StreamWriterOptions {
  /** Queued bytes above which `drain()` waits (default 64 KiB). */
  highWaterMark?: number;
}

/** A `drain()` waiting for the queue to fall to the low-water mark. */
class DrainWait extends Wait<void> {
  next: DrainWait | undefined = undefined;
  prev: DrainWait | undefined = undefined;
  linked = false;

  constructor(readonly list: DrainList) {
    super();
  }

  override arm(): void {
    this.list.append(this);
  }

  override disarm(): void {
    this.list.remove(this);
  }

  /** What the task tree and traces show. */
  describe(): string {
    return "StreamWriter.drain()";
  }
}

/** The drains waiting on one writer, oldest first. */
class DrainList {
  head: DrainWait | undefined = undefined;
  tail: DrainWait | undefined = undefined;

  append(wait: DrainWait): void {
    wait.linked = true;
    wait.prev = this.tail;
    if (this.tail === undefined) this.head = wait;
    else this.tail.next = wait;
    this.tail = wait;
  }

  remove(wait: DrainWait): void {
    if (!wait.linked) return;
    wait.linked = false;
    if (wait.prev === undefined) this.head = wait.next;
    else wait.prev.next = wait.next;
    if (wait.next === undefined) this.tail = wait.prev;
    else wait.next.prev = wait.prev;
    wait.prev = wait.next = undefined;
  }

  /** Wakes (or fails, with `error`) every waiting drain. */
  settleAll(error: unknown): void {
    for (let wait = this.head; wait !== undefined; wait = this.head) {
      this.remove(wait);
      if (error === undefined) wait.wake();
      else wait.fail(error);
    }
  }
}

const OPEN = 0;
const EOF_SENT = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * Buffered writing to a connection. `write` never blocks: it queues the
 * bytes (copied) and the writer sends them in the background; `await
 * drain()` after writing waits while more than the high-water mark is
 * queued, so a peer that reads slowly slows the writer down instead of
 * making it buffer without bound. `close()` sends what is queued, then
 * closes the socket; `await waitClosed()` waits for that.
 *
 * Writers come from `openConnection` and `startServer` handlers;
 * `StreamWriter.from()` writes to a Web `WritableStream` (or a `Deno.Conn`).
 * `drain` and `waitClosed` are cancellation points; cancelling
 * `waitClosed` after `close()` aborts the connection (queued bytes are
 * dropped).
 *
 * Mirrors `asyncio.StreamWriter`.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@seed/aio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline()); // echo one line
 *     await writer.drain();
 *     writer.close();
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   const { reader, writer } = await openConnection(server.addr);
 *   writer.write("hello\n");
 *   await writer.drain();
 *   console.log(new TextDecoder().decode(await reader.readline())); // "hello\n"
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export class StreamWriter {
  // Field order is layout order: what every write touches comes first
  // (see StreamReader).
  //
  // The output buffer: bytes in [#head, #tail) are queued, and the socket
  // write in flight (if any) sends from #head. An idle writer holds none:
  // it takes one from a pool shared by all writers for its next write and
  // gives it back once the write is done. Allocating costs Deno about
  // 0.8 µs per buffer, and a buffer per connection costs more still: with
  // 1,000 connections every write would touch memory gone cold since that
  // connection's last one (about 1 µs a round trip on this VM), where the
  // pool hands out the buffer the previous write just used.
  #out: Uint8Array = EMPTY;
  #head = 0;
  #tail = 0;
  #sending = false;
  #state = OPEN;
  #error: unknown = undefined;
  #aborted = false;
  readonly #conn: WriteSink;
  readonly #reader: StreamReader | undefined;
  readonly #activity: Activity | undefined;
  readonly #high: number;
  readonly #low: number;
  #drainers: DrainList | undefined;
  #idleWaiters: (() => void)[] | undefined; // made by the first waiter
  // Touched on the way out.
  #shutdown: Promise<void> | undefined;
  #connClosed = false;
  #closed: Promise<void>;
  #resolveClosed!: () => void;
  #peername: SocketAddress | undefined;
  #sockname: SocketAddress | undefined;
  #onClosed: (() => void)[] = [];

  /**
   * @internal Made by `openConnection`, `startServer` and `from()`.
   * @param conn The socket (or another sink).
   * @param reader The reader of the same socket, if any.
   * @param highWaterMark Queued bytes above which `drain()` waits.
   * @param activity Where to note that bytes moved.
   */
  constructor(
    conn: WriteSink,
    reader: StreamReader | undefined,
    highWaterMark: number | undefined,
    activity?: Activity,
  ) {
    this.#conn = conn;
    this.#reader = reader;
    this.#activity = activity;
    this.#high = checkSize(
      highWaterMark,
      DEFAULT_HIGH_WATER_MARK,
      "StreamWriter",
      "highWaterMark",
    );
    this.#low = this.#high >> 2;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /**
   * A writer to any byte sink: a Web `WritableStream` of `Uint8Array`
   * chunks (a file's `writable`, a subprocess's `stdin`, a
   * `TransformStream`'s writable side) or a `Deno.Conn`, with `write`,
   * `drain` (back-pressure from the sink), `writeEof`/`close` (which close
   * the stream) and `waitClosed`. The writer takes the stream's lock.
   *
   * Mirrors wrapping a transport in `asyncio.StreamWriter`.
   *
   * @param sink The stream or connection.
   * @param options `highWaterMark` (default 64 KiB).
   * @returns The writer.
   * @throws {TypeError} If `sink` is neither, or a locked stream.
   *
   * @example
   * ```ts
   * import { StreamReader, StreamWriter } from "@seed/aio";
   * const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
   * const writer = StreamWriter.from(writable);
   * const reader = StreamReader.from(readable);
   * writer.write("hello\n");
   * writer.close();
   * console.log(new TextDecoder().decode(await reader.readline())); // "hello\n"
   * await writer.waitClosed();
   * ```
   */
  static from(
    sink: WritableStream<Uint8Array> | Deno.Conn,
    options?: StreamWriterOptions,
  ): StreamWriter {
    const what = "StreamWriter.from()";
    if (
      options !== undefined && (options === null || typeof options !== "object")
    ) {
      throw new TypeError(
        `${what}: options must be an object, got ${show(options)}`,
      );
    }
    const highWaterMark = checkSize(
      options?.highWaterMark,
      DEFAULT_HIGH_WATER_MARK,
      what,
      "highWaterMark",
    );
    return new StreamWriter(writeSinkOf(sink, what), undefined, highWaterMark);
  }

  /** How many written bytes are queued and not yet handed to the socket. */
  get bufferedAmount(): number {
    return this.#tail - this.#head;
  }

  /** The high-water mark above which `drain()` waits. */
  get highWaterMark(): number {
    return this.#high;
  }

  /**
   * Queues bytes (or UTF-8 text) to send; never blocks. Follow it with
   * `await drain()`. Once the connection is lost, writes are dropped and
   * `drain()` throws the error.
   * Mirrors `StreamWriter.write(data)`.
   *
   * @param data The bytes (copied) or text.
   * @throws {TypeError} If `data` is not a Uint8Array or string.
   * @throws {InvalidStateError} After `close()` or `writeEof()`.
   */
  write(data: Uint8Array | string): void {
    const text = typeof data === "string";
    if (!text && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `StreamWriter.write(): expected a Uint8Array or a string, got ${
          show(data)
        }`,
      );
    }
    if (this.#state !== OPEN) {
      throw new InvalidStateError(
        this.#state === EOF_SENT
          ? "Cannot write: writeEof() was called"
          : "Cannot write: the writer is closed",
      );
    }
    if (data.length === 0 || this.#error !== undefined) return;
    if (text) {
      // At most 3 bytes of UTF-8 per UTF-16 unit.
      this.#reserve(data.length * 3);
      this.#tail += encoder.encodeInto(data, this.#out.subarray(this.#tail))
        .written;
    } else {
      this.#reserve(data.length);
      this.#out.set(data, this.#tail);
      this.#tail += data.length;
    }
    if (!this.#sending) this.#send();
  }

  /**
   * Queues several chunks; the same as calling `write` for each.
   * Mirrors `StreamWriter.writelines(data)`.
   * @param chunks The chunks.
   * @throws {TypeError} If a chunk is not a Uint8Array or string.
   * @throws {InvalidStateError} After `close()` or `writeEof()`.
   */
  writelines(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of chunks) this.write(chunk);
  }

  /**
   * Waits while more than the high-water mark is queued (until it falls to
   * a quarter of it), so that the peer's reading pace bounds the buffer.
   * Returns at once otherwise. A cancellation point.
   * Mirrors `StreamWriter.drain()`.
   *
   * @returns Once writing may continue.
   * @throws {Deno.errors.ConnectionReset} Or another socket error, if the connection was lost.
   * @throws {CancelledError} If cancelled while waiting.
   */
  drain(): Promise<void> {
    // The scope is looked up only to wait: a context lookup per call is a
    // measurable share of a small echo's cost.
    const cancelled = cancelledScope();
    if (cancelled !== undefined) return Promise.reject(cancelled.deliver());
    const error = this.#error ?? this.#reader?._error;
    if (error !== undefined) return Promise.reject(error);
    if (this.#tail - this.#head <= this.#high) return RESOLVED;
    const drainers = (this.#drainers ??= new DrainList());
    const wait = new DrainWait(drainers);
    return suspend(wait, currentScope(), "stream", wait);
  }

  /**
   * Whether `writeEof()` is supported (TCP, TLS, Unix sockets, Web
   * streams: always).
   * Mirrors `StreamWriter.can_write_eof()`.
   * @returns `true` if `writeEof()` half-closes.
   */
  canWriteEof(): boolean {
    return typeof this.#conn.closeWrite === "function";
  }

  /**
   * Half-closes the connection: once the queued bytes are sent, the peer
   * reads the end of the stream, while this side can still read.
   * Mirrors `StreamWriter.write_eof()`.
   */
  writeEof(): void {
    if (this.#state !== OPEN) return;
    this.#state = EOF_SENT;
    this.#shutdown = this.#whenIdle().then(async () => {
      if (this.#aborted || this.#connClosed || this.#error !== undefined) {
        return;
      }
      try {
        await this.#conn.closeWrite();
      } catch (error) {
        if (!isLocalClose(error)) this.#error ??= error;
      }
    });
  }

  /**
   * Whether `close()` was called (or the connection was aborted).
   * Mirrors `StreamWriter.is_closing()`.
   * @returns `true` once closing.
   */
  isClosing(): boolean {
    return this.#state >= CLOSING;
  }

  /**
   * Closes the connection once the queued bytes are sent (both directions:
   * the reader then sees the end of the stream). Idempotent; never blocks.
   * Mirrors `StreamWriter.close()`.
   */
  close(): void {
    if (this.#state >= CLOSING) return;
    this.#state = CLOSING;
    this.#whenIdle().then(() => this.#shutdown).then(() => this.#closeConn());
  }

  /**
   * Waits until the connection is closed (after `close()`, or an abort).
   * A cancellation point: cancelled after `close()`, it aborts the
   * connection (queued bytes are dropped) before throwing.
   * Mirrors `StreamWriter.wait_closed()`.
   *
   * @returns Once the socket is closed and no operation on it is pending.
   * @throws {CancelledError} If cancelled while waiting.
   */
  waitClosed(): Promise<void> {
    return waitPromise(this.#closed, currentScope(), "stream", () => {
      if (this.#state >= CLOSING) this._abort();
    });
  }

  /** Closes the connection (`close()`), then waits for it (`waitClosed()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /**
   * Information about the connection, by asyncio's names: `"peername"`
   * (the remote `[hostname, port]`), `"sockname"` (the local one) or
   * `"socket"` (the `Deno.Conn`). Other names give `defaultValue`.
   * Mirrors `StreamWriter.get_extra_info(name, default=None)`.
   *
   * @param name What to get.
   * @param defaultValue What to return for an unknown name.
   * @returns The value.
   */
  getExtraInfo(name: "peername" | "sockname"): SocketAddress;
  /**
   * The underlying socket.
   * @param name `"socket"`.
   * @returns The `Deno.Conn`.
   */
  getExtraInfo(name: "socket"): Deno.Conn;
  /**
   * Any other name gives `defaultValue`.
   * @param name The name.
   * @param defaultValue What to return.
   * @returns `defaultValue`.
   */
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    switch (name) {
      case "peername":
        return this.#peername ??= addressOf(this.#conn, "remoteAddr");
      case "sockname":
        return this.#sockname ??= addressOf(this.#conn, "localAddr");
      case "socket":
        return "remoteAddr" in this.#conn ? this.#conn : defaultValue;
      default:
        return defaultValue;
    }
  }

  /** @internal Closes the socket now, dropping whatever is queued. */
  _abort(): void {
    if (this.#connClosed) return;
    this.#aborted = true;
    if (this.#state < CLOSING) this.#state = CLOSING;
    this.#drop();
    this.#closeConn();
  }

  /** @internal Resolves once the socket is closed and idle (not cancellable). */
  get _closed(): Promise<void> {
    return this.#closed;
  }

  /** @internal Runs `callback` once the socket is closed. */
  _onClosed(callback: () => void): void {
    this.#onClosed.push(callback);
  }

  // Resolves when nothing is queued or in flight (or the writer failed).
  #whenIdle(): Promise<void> {
    if (!this.#sending) return RESOLVED;
    return new Promise((resolve) => (this.#idleWaiters ??= []).push(resolve));
  }

  // Makes room for `need` more bytes after #tail. The region a socket
  // write may be reading ([#head, #tail)) is never moved in place: a full
  // buffer is replaced by a larger copy instead (the write in flight keeps
  // the old one alive and its bytes are the same).
  #reserve(need: number): void {
    const out = this.#out;
    if (out.length - this.#tail >= need) return;
    const used = this.#tail - this.#head;
    if (out.length === 0 && need <= POOLED_SIZE) {
      this.#out = pool.pop() ?? new Uint8Array(POOLED_SIZE);
    } else if (!this.#sending && used + need <= out.length) {
      out.copyWithin(0, this.#head, this.#tail);
    } else {
      let capacity = Math.max(out.length, POOLED_SIZE);
      while (capacity < used + need) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(out.subarray(this.#head, this.#tail));
      this.#out = grown;
    }
    this.#head = 0;
    this.#tail = used;
  }

  // Hands the queued bytes to the socket; #sent and #failed carry on.
  #send(): void {
    this.#sending = true;
    let writing: Promise<number>;
    try {
      writing = this.#conn.write(this.#out.subarray(this.#head, this.#tail));
    } catch (error) {
      writing = Promise.reject(error);
    }
    writing.then(this.#sent, this.#failed);
  }

  readonly #sent = (n: number): void => {
    this.#head += n;
    if (this.#activity !== undefined) this.#activity.touch();
    const drainers = this.#drainers;
    if (
      drainers !== undefined && drainers.head !== undefined &&
      this.#tail - this.#head <= this.#low
    ) {
      drainers.settleAll(undefined);
    }
    if (this.#head < this.#tail && !this.#aborted) {
      this.#send();
      return;
    }
    this.#head = this.#tail = 0;
    this.#idle();
  };

  readonly #failed = (error: unknown): void => {
    if (!this.#aborted && !isLocalClose(error)) this.#error ??= error;
    this.#drop();
    this.#idle();
  };

  // No socket write is in flight (so none reads #out) and nothing is
  // queued: a pooled buffer goes back to the pool. One grown for large
  // writes stays (traffic that needed it will likely need it again),
  // unless it grew past 64 KiB under back-pressure.
  #idle(): void {
    this.#sending = false;
    const out = this.#out;
    if (out.length === POOLED_SIZE) {
      this.#out = EMPTY;
      if (pool.length < POOL_LIMIT) pool.push(out);
    } else if (out.length > POOLED_SIZE * 4) {
      this.#out = EMPTY;
    }
    const waiters = this.#idleWaiters;
    if (waiters === undefined) return;
    this.#idleWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  #drop(): void {
    this.#head = this.#tail = 0;
    const drainers = this.#drainers;
    if (drainers !== undefined && drainers.head !== undefined) {
      drainers.settleAll(
        this.#error ??
          new Deno.errors.ConnectionReset("Connection lost: it was aborted"),
      );
    }
  }

  #closeConn(): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    this.#state = CLOSED;
    try {
      if (!this.#aborted || !abortSink(this.#conn)) this.#conn.close();
    } catch {
      // Already closed underneath us: nothing left to release.
    }
    this.#reader?._closedLocally();
    // The socket is released; wait for the operations it cut short to settle
    // so that nothing is left pending once waitClosed() returns.
    Promise.all([
      this.#reader?._idle(),
      sinkClosed(this.#conn),
      this.#whenIdle(),
      this.#shutdown,
    ]).then(() => {
      this.#resolveClosed();
      for (const callback of this.#onClosed) callback();
      this.#onClosed = [];
    });
  }
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();
// Output buffers of POOLED_SIZE bytes are shared through `pool`; at most
// POOL_LIMIT idle ones (4 MiB) are kept.
const POOLED_SIZE = 16 * 1024;
const POOL_LIMIT = 256;
const pool: Uint8Array[] = [];

function addressOf(
  conn: WriteSink,
  which: "remoteAddr" | "localAddr",
): SocketAddress {
  try {
    return socketAddress((conn as Deno.Conn)[which]);
  } catch {
    return socketAddress({ transport: "tcp", hostname: "", port: 0 });
  }
}
